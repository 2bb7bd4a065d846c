import { flagWords } from "../graph/review-card.js";
import { feedbackReasonLabels, type feedbackReasons } from "../services/feedback.js";

export { DECISION_WORDS } from "./decision-words.js";

/** "45 s", "12 min", "3 h 20 min", "2 d 4 h". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** An absolute time in UTC; the page's script rewrites it to the reader's local time. */
export function utc(iso: string): string {
  return `${iso.slice(0, 16).replace("T", " ")} UTC`;
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function TimeTag(props: { iso: string; text: string; class?: string }) {
  return (
    <time datetime={props.iso} title={utc(props.iso)} class={props.class ?? ""}>
      {props.text}
    </time>
  );
}

/** An absolute time ("abs": the script shows it in the reader's time zone). */
export function At(props: { iso: string }) {
  return <TimeTag iso={props.iso} text={utc(props.iso)} class="abs" />;
}

/** How long an item has waited. */
export function Age(props: { createdAt: string; now: Date }) {
  const waited = props.now.getTime() - Date.parse(props.createdAt);
  return <TimeTag iso={props.createdAt} text={duration(waited)} />;
}

/** When the item is due: "in 20 min", or "overdue 5 min" (highlighted). */
export function Due(props: { dueAt: string | null; now: Date }) {
  const { dueAt, now } = props;
  if (!dueAt) return <span class="muted">no deadline</span>;
  const left = Date.parse(dueAt) - now.getTime();
  if (left < 0) return <TimeTag iso={dueAt} text={`overdue ${duration(-left)}`} class="overdue" />;
  return (
    <TimeTag iso={dueAt} text={`in ${duration(left)}`} class={left < 10 * 60_000 ? "soon" : ""} />
  );
}

export function score(n: number): string {
  return n.toFixed(2);
}

const TIER_WORDS: Record<string, string> = {
  low: "Low risk",
  medium: "Medium risk",
  high: "High risk",
  blocked: "Blocked",
};

export function RiskBadge(props: { tier: string }) {
  const { tier } = props;
  const known = tier in TIER_WORDS ? tier : "unknown";
  return <span class={`badge risk-${known}`}>{TIER_WORDS[tier] ?? tier}</span>;
}

export const STAGE_WORDS: Record<string, string> = { retrieval: "Evidence", answer: "Answer" };

export function StageBadge(props: { stage: string }) {
  const { stage } = props;
  const title =
    stage === "retrieval"
      ? "check the passages before an answer is written"
      : "check the answer before it is sent";
  return (
    <span class="badge stage" title={title}>
      {STAGE_WORDS[stage] ?? stage}
    </span>
  );
}

const percent = (value: number): number => Math.round(Math.min(1, Math.max(0, value)) * 100);

/** A 0…1 score as a small bar against its threshold. */
export function Meter(props: { label: string; value: number; threshold?: number }) {
  const { label, value, threshold } = props;
  const below = threshold !== undefined && value < threshold;
  return (
    <div class={`meter ${below ? "below" : ""}`}>
      <span class="meter-label">{label}</span>
      <span class="meter-bar" aria-hidden="true">
        <span class="meter-fill" style={`width:${percent(value)}%`}></span>
        {threshold !== undefined && (
          <span class="meter-mark" style={`left:${percent(threshold)}%`}></span>
        )}
      </span>
      <span class="meter-value">
        {score(value)}
        {threshold !== undefined && (
          <>
            {" "}
            <span class="muted">/ needs {score(threshold)}</span>
          </>
        )}
      </span>
    </div>
  );
}

/** A judge flag in plain words (the review card's own words for its reasons). */
export function flagWord(flag: string): string {
  const words = (flagWords as Partial<Record<string, string>>)[flag];
  return words ? capitalize(words) : flag;
}

/** The feedback reasons a rejection offers, in this order. */
const REJECT_FEEDBACK_REASONS = [
  "incorrect",
  "incomplete",
  "not_grounded",
  "wrong_citation",
  "unsafe",
  "off_topic",
  "outdated",
] as const satisfies readonly (typeof feedbackReasons)[number][];

/**
 * Why an item can be rejected: stored as the decision's `reasons`, in the feedback vocabulary
 * where it has a word (so rejections and user feedback count together), plus reasons only a
 * reviewer gives.
 */
export const REJECT_REASONS: { value: string; label: string }[] = [
  ...REJECT_FEEDBACK_REASONS.map((value) => ({ value, label: feedbackReasonLabels[value] })),
  { value: "needs_specialist", label: "Needs a specialist" },
];

export function rejectReasonLabel(value: string): string {
  return REJECT_REASONS.find((r) => r.value === value)?.label ?? value;
}
