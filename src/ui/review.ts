import type { Principal } from "../auth/principal.js";
import type { ReviewCard } from "../graph/review-card.js";
import type { ReviewView } from "../services/reviews.js";
import {
  age,
  DECISION_WORDS,
  due,
  FLAG_WORDS,
  meter,
  REJECT_REASONS,
  riskBadge,
  score,
  stageBadge,
  timeTag,
  utc,
} from "./format.js";
import { html, jsonForScript, type SafeHtml } from "./html.js";

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
  flash: SafeHtml;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const passageId = (chunkId: string): string => `passage-${chunkId}`;

/** The draft with each [n] marker linked to the passage it cites (text escaped piece by piece). */
function draftWithCitations(card: ReviewCard): SafeHtml {
  const draft = card.draft;
  if (!draft) return html``;
  const shown = new Set(card.retrieval.passages.map((p) => p.chunk_id));
  const parts: SafeHtml[] = [];
  let last = 0;
  for (const match of draft.text.matchAll(/\[(\d{1,3})\]/g)) {
    const at = match.index;
    parts.push(html`${draft.text.slice(last, at)}`);
    const citation = draft.citations.find((c) => c.marker === Number(match[1]));
    if (citation && shown.has(citation.chunk_id)) {
      parts.push(
        html`<a
          class="cite"
          href="#${passageId(citation.chunk_id)}"
          data-passage="${passageId(citation.chunk_id)}"
          title="Source: ${citation.title}"
          >[${match[1]}]</a
        >`,
      );
    } else {
      parts.push(
        html`<span
          class="cite missing"
          title="${citation ? `cites "${citation.title}", which is not among the passages shown` : "cites no known passage"}"
          >[${match[1]}]</span
        >`,
      );
    }
    last = at + match[0].length;
  }
  parts.push(html`${draft.text.slice(last)}`);
  return html`${parts}`;
}

function whyPanel(view: ReviewView, now: Date): SafeHtml {
  const card = view.card;
  const others = card.reasons.filter((r) => r !== card.reason);
  const votes = view.approvals.votes;
  return html`<section
    class="panel why stage-${card.stage} risk-tier-${card.risk_tier}"
    aria-labelledby="why-title"
  >
    <div class="headline" id="why-title">Why it is here</div>
    <p class="reason-main">${capitalize(card.reason)}</p>
    ${
      others.length
        ? html`<ul aria-label="Other reasons">
            ${others.map((r) => html`<li>${capitalize(r)}</li>`)}
          </ul>`
        : ""
    }
    <div class="tags">
      ${stageBadge(card.stage)} ${riskBadge(card.risk_tier)}
      ${view.queue === "escalation" ? html`<span class="badge escalated" title="${view.escalated_at ? `escalated ${utc(view.escalated_at)}` : ""}">Escalated</span>` : ""}
      ${card.audit_sample ? html`<span class="badge audit" title="The answer passed every check; it was picked at random so people keep checking the checks">Audit sample</span>` : ""}
      <span class="muted">· Revision ${card.revision.count} of ${card.revision.limit}</span>
      ${view.approvals.required > 1 ? html`<span class="muted">· Needs ${view.approvals.required} approvals (${votes.length ? votes.map((v) => `${v.actor}: ${v.decision_type}`).join(", ") : "none yet"})</span>` : ""}
      ${view.status === "pending" ? html`<span class="muted">· Waiting ${age(view.created_at, now)}</span>` : ""}
    </div>
  </section>`;
}

function claimBar(view: ReviewView, me: string): SafeHtml {
  if (view.status !== "pending") return html``;
  const by = view.claimed_by;
  const cls = by ? (by === me ? "mine" : "other") : "";
  return html`<div class="claimbar ${cls}" id="claimbar" aria-label="Who is working on this item">
    <span class="status"
      ><span class="dot" aria-hidden="true"></span
      ><span id="claim-status" role="status"
        >${
          by
            ? by === me
              ? html`You are working on this item.`
              : html`${by} is working on this
                item${view.claim_expires_at ? html` until ${timeTag(view.claim_expires_at, utc(view.claim_expires_at), "abs")}` : ""}.`
            : html`Nobody is working on this item.`
        }</span
      ></span
    >
    <button type="button" id="claim-btn" title="Shortcut: c">
      ${by === me ? "Release" : by ? "Take over" : "Claim"} <kbd>c</kbd>
    </button>
  </div>`;
}

function draftPanel(card: ReviewCard): SafeHtml {
  if (!card.draft) return html``;
  return html`<section class="panel" aria-labelledby="draft-title">
    <h2 id="draft-title">Draft answer</h2>
    <p class="draft" id="draft-text">${draftWithCitations(card)}</p>
    <p class="hint">
      Written by ${card.draft.provider}. Numbers in brackets cite a passage; select one to see it.
    </p>
  </section>`;
}

function judgePanel(card: ReviewCard): SafeHtml {
  const judge = card.judge;
  if (!judge) return html``;
  return html`<section class="panel judge" aria-labelledby="judge-title">
    <h2 id="judge-title">Automatic check of the draft</h2>
    <div class="meters">
      ${meter("Overall score", judge.score, judge.threshold)}
      ${meter("Groundedness", judge.groundedness)} ${meter("Coverage", judge.coverage)}
    </div>
    ${
      judge.flags.length
        ? html`<ul class="flags" aria-label="Problems found">
            ${judge.flags.map((f) => html`<li>${FLAG_WORDS[f] ?? f}</li>`)}
          </ul>`
        : html`<p class="muted">No problems flagged.</p>`
    }
    <p class="rationale"><span class="sr-only">Rationale: </span>${judge.rationale}</p>
  </section>`;
}

function passagesPanel(card: ReviewCard, choosable: boolean): SafeHtml {
  const markers = new Map<string, number[]>();
  for (const c of card.draft?.citations ?? [])
    markers.set(c.chunk_id, [...(markers.get(c.chunk_id) ?? []), c.marker]);
  const title = card.stage === "answer" ? "Passages the draft may use" : "What the search found";
  return html`<section class="panel retrieval" aria-labelledby="passages-title">
    <h2 id="passages-title">${title}</h2>
    <div class="meters">${meter("Best match", card.retrieval.score, card.retrieval.threshold)}</div>
    ${card.retrieval.passages.length === 0 ? html`<p class="empty">No passage of the knowledge base matches the question.</p>` : ""}
    <div class="passages">
      ${card.retrieval.passages.map((p, i) => {
        const cited = markers.get(p.chunk_id);
        return html`<article
          class="passage"
          id="${passageId(p.chunk_id)}"
          tabindex="-1"
          aria-labelledby="${passageId(p.chunk_id)}-title"
        >
          <header>
            <span class="title" id="${passageId(p.chunk_id)}-title">${i + 1}. ${p.title}</span>
            <span class="pscore" title="How well this passage matches the question (0 to 1)"
              >match ${score(p.score)}</span
            >
          </header>
          ${cited ? html`<div class="cited-as">Cited in the draft as ${cited.map((m) => `[${m}]`).join(" ")}</div>` : ""}
          <div class="text">${p.text.split(/\n\s*\n/).map((para) => html`<p>${para}</p>`)}</div>
          ${choosable ? html`<label class="choose"><input type="checkbox" class="choose-passage" value="${p.chunk_id}" /> Use this passage as evidence</label>` : ""}
        </article>`;
      })}
    </div>
  </section>`;
}

function note(id: string, label = "Note for the record (optional)"): SafeHtml {
  return html`<div class="field">
    <label for="${id}">${label}</label
    ><input type="text" id="${id}" maxlength="5000" autocomplete="off" />
  </div>`;
}

function formButtons(label: string, kind: "primary" | "danger" = "primary"): SafeHtml {
  return html`<div class="buttons">
    <button type="submit" class="${kind}">${label} <kbd>Ctrl</kbd>+<kbd>Enter</kbd></button>
    <button type="button" data-close>Cancel <kbd>Esc</kbd></button>
  </div>`;
}

function actionsPanel(view: ReviewView): SafeHtml {
  const card = view.card;
  if (view.status !== "pending") {
    const d = view.decision;
    const details: [string, string][] = [];
    if (d && "answer" in d && d.answer)
      details.push([d.type === "edit" ? "Corrected answer" : "Answer", d.answer]);
    if (d?.type === "edit" && d.chunk_ids)
      details.push(["Evidence chosen", `${d.chunk_ids.length} passage(s)`]);
    if (d?.type === "revise") details.push(["Instructions", d.instructions]);
    if (d?.reasons.length) {
      details.push([
        "Reasons",
        d.reasons.map((r) => REJECT_REASONS.find((x) => x.value === r)?.label ?? r).join(", "),
      ]);
    }
    if (d?.comment) details.push(["Comment", d.comment]);
    return html`<section class="panel" aria-labelledby="actions-title">
      <h2 id="actions-title">Decision</h2>
      <div id="messages" aria-live="polite"></div>
      <p class="decided-note">
        This item was
        ${DECISION_WORDS[view.decision_type ?? ""] ?? "decided"}${view.decided_by ? ` by ${view.decided_by}` : ""}${
          view.decided_at ? html` on ${timeTag(view.decided_at, utc(view.decided_at), "abs")}` : ""
        }.
      </p>
      ${
        details.length
          ? html`<dl class="decision-details">
              ${details.map(
                ([k, v]) =>
                  html`<dt>${k}</dt>
                    <dd>${v}</dd>`,
              )}
            </dl>`
          : ""
      }
    </section>`;
  }
  const allowed = new Set(card.allowed_decisions);
  const answerStage = card.stage === "answer";
  const noPassages = card.retrieval.passages.length === 0;
  const button = (name: string, label: string, key: string, disabled = false, why = "") =>
    allowed.has(name as ReviewCard["allowed_decisions"][number])
      ? html`<button
          type="button"
          id="act-${name}"
          data-open="${name}"
          aria-expanded="false"
          aria-controls="form-${name}"
          ${disabled ? html`disabled title="${why}"` : html`title="Shortcut: ${key}"`}
        >
          ${label} <kbd>${key}</kbd>
        </button>`
      : "";
  const approvalsNote =
    view.approvals.required > 1
      ? html`<p class="hint">
          This item needs ${view.approvals.required} approvals;
          ${view.approvals.votes.filter((v) => v.decision_type === "approve").length} so far.
        </p>`
      : "";
  return html`<section class="panel" aria-labelledby="actions-title">
    <h2 id="actions-title">Your decision</h2>
    <div id="messages" aria-live="polite"></div>
    <div class="actions-bar">
      ${button("approve", "Approve", "a")}
      ${button("edit", answerStage ? "Edit" : "Choose evidence", "e", !answerStage && noPassages, "there are no passages to choose from")}
      ${button("respond", "Answer directly", "r")} ${button("reject", "Reject", "x")}
      ${button("revise", "Revise", "v")}
    </div>
    ${allowed.has("revise") ? "" : html`<p class="hint">No revisions left: ${card.revision.count} of ${card.revision.limit} used.</p>`}

    <form id="form-approve" class="action-form" hidden aria-label="Approve">
      <h3>Approve</h3>
      <p>
        ${answerStage ? "Send the draft to the user as it is." : "These passages are good evidence: write the answer from them."}
      </p>
      ${approvalsNote} ${note("approve-comment")}
      ${formButtons(answerStage ? "Approve and send" : "Approve the evidence")}
    </form>

    ${
      allowed.has("edit")
        ? answerStage
          ? html`<form id="form-edit" class="action-form" hidden aria-label="Edit the answer">
              <h3>Edit the answer</h3>
              <div class="field">
                <label for="edit-answer"
                  >Corrected answer
                  <span class="hint">Keep the [1], [2] markers to cite passages.</span></label
                >
                <textarea id="edit-answer" rows="8" maxlength="20000">
${card.draft?.text ?? ""}</textarea>
              </div>
              <div class="field">
                <span id="edit-diff-title" class="hint" style="font-weight:600;color:var(--ink)"
                  >Your changes</span
                >
                <p class="diff-summary" id="edit-diff-summary" aria-live="polite"></p>
                <div class="diff" id="edit-diff" aria-labelledby="edit-diff-title"></div>
              </div>
              ${note("edit-comment", "What was wrong with the draft? (optional)")}
              ${formButtons("Send the edited answer")}
            </form>`
          : html`<form id="form-edit" class="action-form" hidden aria-label="Choose the evidence">
              <h3>Choose the evidence</h3>
              <p>
                Tick <strong>Use this passage as evidence</strong> on the passages the answer should
                be written from.
              </p>
              <p class="hint" id="chosen-count" aria-live="polite"></p>
              ${note("edit-comment")} ${formButtons("Answer from these passages")}
            </form>`
        : ""
    }

    <form id="form-respond" class="action-form" hidden aria-label="Answer directly">
      <h3>Answer the question yourself</h3>
      <div class="field">
        <label for="respond-answer"
          >Your answer <span class="hint">The user gets exactly this text.</span></label
        >
        <textarea id="respond-answer" rows="7" maxlength="20000"></textarea>
      </div>
      ${note("respond-comment")} ${formButtons("Send my answer")}
    </form>

    <form id="form-reject" class="action-form" hidden aria-label="Reject">
      <h3>Reject</h3>
      <p class="hint">The user gets the safe fallback reply instead of an answer.</p>
      <fieldset class="reasons-list">
        <legend class="hint">Why? Choose at least one reason, or say why in the comment.</legend>
        ${REJECT_REASONS.map((r) => html`<label><input type="checkbox" name="reject-reason" value="${r.value}" /> ${r.label}</label>`)}
      </fieldset>
      <div class="field">
        <label for="reject-comment">Comment</label>
        <textarea id="reject-comment" rows="3" maxlength="5000"></textarea>
      </div>
      ${formButtons("Reject", "danger")}
    </form>

    ${
      allowed.has("revise")
        ? html`<form id="form-revise" class="action-form" hidden aria-label="Ask for a revision">
            <h3>${answerStage ? "Ask for a new draft" : "Search again"}</h3>
            <p class="hint">
              This will be revision ${card.revision.count + 1} of ${card.revision.limit}.
            </p>
            <div class="field">
              <label for="revise-instructions"
                >${answerStage ? "What should the new draft do differently?" : "What should the search look for?"}</label
              >
              <textarea id="revise-instructions" rows="4" maxlength="5000"></textarea>
            </div>
            ${note("revise-comment")} ${formButtons("Ask for a revision")}
          </form>`
        : ""
    }
  </section>`;
}

export function reviewBody(input: ReviewPageInput): SafeHtml {
  const { view, principal } = input;
  const card = view.card;
  const pending = view.status === "pending";
  const data = {
    review_id: view.review_id,
    version: view.version,
    stage: card.stage,
    pending,
    draft: card.draft?.text ?? null,
    claim: { by: view.claimed_by, until: view.claim_expires_at },
    me: principal.name,
    admin: principal.open || principal.role === "admin",
    leaseSeconds: input.leaseSeconds,
    nextUrl: input.afterDecisionUrl,
    queueUrl: input.queueUrl,
    loginUrl: input.loginUrl,
  };
  return html` <nav class="crumbs" aria-label="Queue navigation">
      <a id="nav-queue" href="${input.queueUrl}">← Back to the queue <kbd>q</kbd></a>
      <span class="nav">
        ${input.prevUrl ? html`<a class="button" id="nav-prev" href="${input.prevUrl}">Previous <kbd>k</kbd></a>` : html`<span class="button" aria-disabled="true" style="opacity:.45">Previous <kbd>k</kbd></span>`}
        ${input.nextUrl ? html`<a class="button" id="nav-next" href="${input.nextUrl}">Next <kbd>j</kbd></a>` : html`<span class="button" aria-disabled="true" style="opacity:.45">Next <kbd>j</kbd></span>`}
      </span>
    </nav>
    ${input.flash}
    <h1>
      ${pending ? (card.stage === "answer" ? "Check this answer before it is sent" : "Check the evidence before an answer is written") : card.stage === "answer" ? "Answer review (decided)" : "Evidence review (decided)"}
    </h1>
    ${whyPanel(view, input.now)}
    <section class="panel" aria-labelledby="question-title">
      <h2 id="question-title">Question</h2>
      <p class="question-text" id="question">${card.question}</p>
      ${pending ? html`<p class="hint" style="margin:.4rem 0 0">Due ${due(view.due_at, input.now)}${view.fallback_at ? html` · if nobody decides, the fallback reply is sent ${timeTag(view.fallback_at, utc(view.fallback_at), "abs")}` : ""}</p>` : ""}
      ${claimBar(view, principal.name)}
    </section>
    <div class="grid">
      <div>${draftPanel(card)} ${actionsPanel(view)}</div>
      <div>
        ${judgePanel(card)}
        ${passagesPanel(card, pending && card.stage === "retrieval" && card.allowed_decisions.includes("edit"))}
      </div>
    </div>
    <script type="application/json" id="review-data">
      ${jsonForScript(data)}
    </script>`;
}
