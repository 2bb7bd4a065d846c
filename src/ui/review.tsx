/** One review item: the navigation, the panels and the data its script reads. */
import type { Child } from "hono/jsx";
import type { Principal } from "../auth/principal.js";
import type { ReviewView } from "../services/reviews.js";
import { At, Due } from "./format.js";
import { jsonForScript } from "./html.js";
import { REVIEW_DATA_ID, type ReviewPageData } from "./page-data.js";
import { ActionsPanel } from "./review-actions.js";
import { DraftPanel, JudgePanel, PassagesPanel } from "./review-evidence.js";
import { ClaimBar, WhyPanel } from "./review-status.js";

export interface ReviewPageInput {
  view: ReviewView;
  principal: Principal;
  now: Date;
  leaseSeconds: number;
  /** Links carrying the queue's filters. */
  queueUrl: string;
  prevUrl: string | null;
  nextUrl: string | null;
  /** Where to go after a decision (the next item, or the queue). */
  afterDecisionUrl: string;
  loginUrl: string;
  flash: Child;
}

function NavLink(props: { id: string; href: string | null; label: string; shortcut: string }) {
  if (!props.href) {
    return (
      <span class="button" aria-disabled="true" style="opacity:.45">
        {props.label} <kbd>{props.shortcut}</kbd>
      </span>
    );
  }
  return (
    <a class="button" id={props.id} href={props.href}>
      {props.label} <kbd>{props.shortcut}</kbd>
    </a>
  );
}

function heading(view: ReviewView): string {
  const answer = view.card.stage === "answer";
  if (view.status === "pending") {
    return answer
      ? "Check this answer before it is sent"
      : "Check the evidence before an answer is written";
  }
  return answer ? "Answer review (decided)" : "Evidence review (decided)";
}

function pageData(input: ReviewPageInput): ReviewPageData {
  const { view, principal } = input;
  return {
    review_id: view.review_id,
    version: view.version,
    stage: view.card.stage,
    pending: view.status === "pending",
    draft: view.card.draft?.text ?? null,
    claim: { by: view.claimed_by, until: view.claim_expires_at },
    me: principal.name,
    admin: principal.open || principal.role === "admin",
    leaseSeconds: input.leaseSeconds,
    nextUrl: input.afterDecisionUrl,
    queueUrl: input.queueUrl,
    loginUrl: input.loginUrl,
  };
}

export function ReviewBody(props: ReviewPageInput) {
  const { view, now } = props;
  const card = view.card;
  const pending = view.status === "pending";
  const choosable =
    pending && card.stage === "retrieval" && card.allowed_decisions.includes("edit");
  return (
    <>
      <nav class="crumbs" aria-label="Queue navigation">
        <a id="nav-queue" href={props.queueUrl}>
          ← Back to the queue <kbd>q</kbd>
        </a>
        <span class="nav">
          <NavLink id="nav-prev" href={props.prevUrl} label="Previous" shortcut="k" />{" "}
          <NavLink id="nav-next" href={props.nextUrl} label="Next" shortcut="j" />
        </span>
      </nav>
      {props.flash}
      <h1>{heading(view)}</h1>
      <WhyPanel view={view} now={now} />
      <section class="panel" aria-labelledby="question-title">
        <h2 id="question-title">Question</h2>
        <p class="question-text" id="question">
          {card.question}
        </p>
        {pending && (
          <p class="hint" style="margin:.4rem 0 0">
            Due <Due dueAt={view.due_at} now={now} />
            {view.fallback_at && (
              <>
                {" "}
                · if nobody decides, the fallback reply is sent <At iso={view.fallback_at} />
              </>
            )}
          </p>
        )}
        <ClaimBar view={view} me={props.principal.name} />
      </section>
      <div class="grid">
        <div>
          <DraftPanel card={card} /> <ActionsPanel view={view} />
        </div>
        <div>
          <JudgePanel card={card} />
          <PassagesPanel card={card} choosable={choosable} />
        </div>
      </div>
      {/* Raw on purpose: JSX would HTML-escape the JSON, and a script element's text is not
          decoded. jsonForScript escapes < > & so the text cannot close the element. */}
      <script
        type="application/json"
        id={REVIEW_DATA_ID}
        dangerouslySetInnerHTML={{ __html: jsonForScript(pageData(props)) }}
      />
    </>
  );
}
