import { html, type SafeHtml } from "./html.js";

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

export function timeTag(iso: string, text: string, cls = ""): SafeHtml {
  return html`<time datetime="${iso}" title="${utc(iso)}" class="${cls}">${text}</time>`;
}

/** How long an item has waited. */
export function age(createdAt: string, now: Date): SafeHtml {
  return timeTag(createdAt, duration(now.getTime() - Date.parse(createdAt)));
}

/** When the item is due: "in 20 min", or "overdue 5 min" (highlighted). */
export function due(dueAt: string | null, now: Date): SafeHtml {
  if (!dueAt) return html`<span class="muted">no deadline</span>`;
  const left = Date.parse(dueAt) - now.getTime();
  if (left < 0) return timeTag(dueAt, `overdue ${duration(-left)}`, "overdue");
  return timeTag(dueAt, `in ${duration(left)}`, left < 10 * 60_000 ? "soon" : "");
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

export function riskBadge(tier: string): SafeHtml {
  const known = tier in TIER_WORDS ? tier : "unknown";
  return html`<span class="badge risk-${known}">${TIER_WORDS[tier] ?? tier}</span>`;
}

export const STAGE_WORDS: Record<string, string> = { retrieval: "Evidence", answer: "Answer" };

export function stageBadge(stage: string): SafeHtml {
  return html`<span
    class="badge stage"
    title="${stage === "retrieval" ? "check the passages before an answer is written" : "check the answer before it is sent"}"
    >${STAGE_WORDS[stage] ?? stage}</span
  >`;
}

/** A 0…1 score as a small bar against its threshold. */
export function meter(label: string, value: number, threshold?: number): SafeHtml {
  const pct = Math.round(Math.min(1, Math.max(0, value)) * 100);
  const below = threshold !== undefined && value < threshold;
  const mark =
    threshold !== undefined ? Math.round(Math.min(1, Math.max(0, threshold)) * 100) : null;
  return html`<div class="meter ${below ? "below" : ""}">
    <span class="meter-label">${label}</span>
    <span class="meter-bar" aria-hidden="true"
      ><span class="meter-fill" style="width:${pct}%"></span>${
        mark !== null ? html`<span class="meter-mark" style="left:${mark}%"></span>` : ""
      }</span
    >
    <span class="meter-value"
      >${score(value)}${threshold !== undefined ? html` <span class="muted">/ needs ${score(threshold)}</span>` : ""}</span
    >
  </div>`;
}

/** Judge flags in plain words (the same words the review card uses for its reasons). */
export const FLAG_WORDS: Record<string, string> = {
  no_answer: "The draft gives no answer",
  missing_citations: "The draft cites no passage",
  unknown_citation: "The draft cites a passage that was not retrieved",
  unsupported_claims: "Part of the draft is not supported by the passages it cites",
  off_topic: "The draft does not address the question",
};

export const DECISION_WORDS: Record<string, string> = {
  approve: "approved",
  edit: "approved with edits",
  respond: "answered directly",
  reject: "rejected",
  revise: "sent back for a revision",
};

/** Why an item can be rejected: stored as the decision's `reasons` (the feedback vocabulary where it has one). */
export const REJECT_REASONS: { value: string; label: string }[] = [
  { value: "incorrect", label: "Incorrect" },
  { value: "incomplete", label: "Incomplete" },
  { value: "not_grounded", label: "Not grounded in the sources" },
  { value: "wrong_citation", label: "Cites the wrong passage" },
  { value: "unsafe", label: "Unsafe" },
  { value: "off_topic", label: "Out of scope" },
  { value: "outdated", label: "Outdated" },
  { value: "needs_specialist", label: "Needs a specialist" },
];
