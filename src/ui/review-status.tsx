/** The top of a review: why the item is here, and who is working on it. */
import type { ReviewView } from "../services/reviews.js";
import { Age, At, capitalize, RiskBadge, StageBadge, utc } from "./format.js";

export function WhyPanel(props: { view: ReviewView; now: Date }) {
  const { view } = props;
  const card = view.card;
  const others = card.reasons.filter((r) => r !== card.reason);
  const votes = view.approvals.votes;
  const voteList = votes.length
    ? votes.map((v) => `${v.actor}: ${v.decision_type}`).join(", ")
    : "none yet";
  return (
    <section
      class={`panel why stage-${card.stage} risk-tier-${card.risk_tier}`}
      aria-labelledby="why-title"
    >
      <div class="headline" id="why-title">
        Why it is here
      </div>
      <p class="reason-main">{capitalize(card.reason)}</p>
      {others.length > 0 && (
        <ul aria-label="Other reasons">
          {others.map((r) => (
            <li>{capitalize(r)}</li>
          ))}
        </ul>
      )}
      <div class="tags">
        <StageBadge stage={card.stage} /> <RiskBadge tier={card.risk_tier} />{" "}
        {view.queue === "escalation" && (
          <span
            class="badge escalated"
            title={view.escalated_at ? `escalated ${utc(view.escalated_at)}` : ""}
          >
            Escalated
          </span>
        )}{" "}
        {card.audit_sample && (
          <span
            class="badge audit"
            title="The answer passed every check; it was picked at random so people keep checking the checks"
          >
            Audit sample
          </span>
        )}{" "}
        <span class="muted">
          · Revision {card.revision.count} of {card.revision.limit}
        </span>{" "}
        {view.approvals.required > 1 && (
          <span class="muted">
            · Needs {view.approvals.required} approvals ({voteList})
          </span>
        )}{" "}
        {view.status === "pending" && (
          <span class="muted">
            · Waiting <Age createdAt={view.created_at} now={props.now} />
          </span>
        )}
      </div>
    </section>
  );
}

function ClaimStatus(props: { view: ReviewView; me: string }) {
  const by = props.view.claimed_by;
  const until = props.view.claim_expires_at;
  if (!by) return <>Nobody is working on this item.</>;
  if (by === props.me) return <>You are working on this item.</>;
  return (
    <>
      {by} is working on this item
      {until && (
        <>
          {" "}
          until <At iso={until} />
        </>
      )}
      .
    </>
  );
}

export function ClaimBar(props: { view: ReviewView; me: string }) {
  const { view, me } = props;
  if (view.status !== "pending") return null;
  const by = view.claimed_by;
  const cls = by ? (by === me ? "mine" : "other") : "";
  return (
    <div class={`claimbar ${cls}`} id="claimbar" aria-label="Who is working on this item">
      <span class="status">
        <span class="dot" aria-hidden="true"></span>
        <span id="claim-status" role="status">
          <ClaimStatus view={view} me={me} />
        </span>
      </span>
      <button type="button" id="claim-btn" title="Shortcut: c">
        {by === me ? "Release" : by ? "Take over" : "Claim"} <kbd>c</kbd>
      </button>
    </div>
  );
}
