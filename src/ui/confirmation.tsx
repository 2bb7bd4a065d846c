import type { ReviewView } from "../services/reviews.js";
import { DECISION_WORDS } from "./decision-words.js";

const shorten = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max)}…` : text;

/** A one-line confirmation of the decision `me` just made on `view` (read back from the database). */
export function Confirmation(props: { view: ReviewView; me: string }) {
  const { view, me } = props;
  const question = shorten(view.question, 140);
  const voted = view.approvals.votes.some((v) => v.actor === me);
  if (view.status === "decided") {
    const words = DECISION_WORDS[view.decision_type ?? ""] ?? "decided";
    const who = view.decided_by === me ? "You" : (view.decided_by ?? "Someone");
    return (
      <div class="flash ok" role="status" id="confirmation">
        <strong>Done.</strong> {who} {words}: “{question}”.{" "}
        {view.decision_type === "revise"
          ? "A new version will come back to the queue."
          : "The thread is resuming."}
      </div>
    );
  }
  if (view.queue === "escalation" && voted) {
    return (
      <div class="flash warn" role="status" id="confirmation">
        Your decision on “{question}” disagreed with an earlier approval, so the item went to the
        escalation queue for an admin.
      </div>
    );
  }
  if (voted) {
    const approvals = view.approvals.votes.filter((v) => v.decision_type === "approve").length;
    return (
      <div class="flash ok" role="status" id="confirmation">
        Your approval of “{question}” was recorded ({approvals} of {view.approvals.required}). It is
        sent once another reviewer approves it too.
      </div>
    );
  }
  return null;
}
