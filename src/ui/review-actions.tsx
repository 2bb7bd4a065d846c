import type { Child } from "hono/jsx";
import type { DecisionType } from "../graph/decision.js";
import type { ReviewView } from "../services/reviews.js";
import { At, DECISION_WORDS, REJECT_REASONS, rejectReasonLabel } from "./format.js";

/** The decision panel: what was decided, or the buttons and forms to decide. */
export function ActionsPanel(props: { view: ReviewView }) {
  return props.view.status === "pending" ? (
    <DecisionForms view={props.view} />
  ) : (
    <DecidedPanel view={props.view} />
  );
}

function decisionDetails(view: ReviewView): [label: string, text: string][] {
  const d = view.decision;
  const details: [string, string][] = [];
  if (d && "answer" in d && d.answer)
    details.push([d.type === "edit" ? "Corrected answer" : "Answer", d.answer]);
  if (d?.type === "edit" && d.chunk_ids)
    details.push(["Evidence chosen", `${d.chunk_ids.length} passage(s)`]);
  if (d?.type === "revise") details.push(["Instructions", d.instructions]);
  if (d?.reasons.length) details.push(["Reasons", d.reasons.map(rejectReasonLabel).join(", ")]);
  if (d?.comment) details.push(["Comment", d.comment]);
  return details;
}

function DecidedPanel(props: { view: ReviewView }) {
  const { view } = props;
  const details = decisionDetails(view);
  return (
    <section class="panel" aria-labelledby="actions-title">
      <h2 id="actions-title">Decision</h2>
      <div id="messages" aria-live="polite"></div>
      <p class="decided-note">
        This item was {DECISION_WORDS[view.decision_type ?? ""] ?? "decided"}
        {view.decided_by ? ` by ${view.decided_by}` : ""}
        {view.decided_at && (
          <>
            {" "}
            on <At iso={view.decided_at} />
          </>
        )}
        .
      </p>
      {details.length > 0 && (
        <dl class="decision-details">
          {details.map(([label, text]) => (
            <>
              <dt>{label}</dt>
              <dd>{text}</dd>
            </>
          ))}
        </dl>
      )}
    </section>
  );
}

function Note(props: { id: string; label?: string }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label ?? "Note for the record (optional)"}</label>
      <input type="text" id={props.id} maxlength={5000} autocomplete="off" />
    </div>
  );
}

function FormButtons(props: { label: string; kind?: "primary" | "danger" }) {
  return (
    <div class="buttons">
      <button type="submit" class={props.kind ?? "primary"}>
        {props.label} <kbd>Ctrl</kbd>+<kbd>Enter</kbd>
      </button>
      <button type="button" data-close="">
        Cancel <kbd>Esc</kbd>
      </button>
    </div>
  );
}

function OpenButton(props: {
  name: DecisionType;
  label: string;
  shortcut: string;
  allowed: boolean;
  /** Why the button is disabled, if it is. */
  disabledWhy?: string;
}) {
  if (!props.allowed) return null;
  const disabled = props.disabledWhy !== undefined;
  return (
    <button
      type="button"
      id={`act-${props.name}`}
      data-open={props.name}
      aria-expanded="false"
      aria-controls={`form-${props.name}`}
      disabled={disabled}
      title={disabled ? props.disabledWhy : `Shortcut: ${props.shortcut}`}
    >
      {props.label} <kbd>{props.shortcut}</kbd>
    </button>
  );
}

function ActionForm(props: { name: DecisionType; label: string; children: Child }) {
  return (
    <form id={`form-${props.name}`} class="action-form" hidden aria-label={props.label}>
      {props.children}
    </form>
  );
}

function EditAnswerForm(props: { draft: string }) {
  return (
    <ActionForm name="edit" label="Edit the answer">
      <h3>Edit the answer</h3>
      <div class="field">
        <label for="edit-answer">
          Corrected answer <span class="hint">Keep the [1], [2] markers to cite passages.</span>
        </label>
        {/* A textarea drops one leading newline: this one keeps a draft's own. */}
        <textarea id="edit-answer" rows={8} maxlength={20000}>
          {"\n" + props.draft}
        </textarea>
      </div>
      <div class="field">
        <span id="edit-diff-title" class="hint" style="font-weight:600;color:var(--ink)">
          Your changes
        </span>
        <p class="diff-summary" id="edit-diff-summary" aria-live="polite"></p>
        <div class="diff" id="edit-diff" aria-labelledby="edit-diff-title"></div>
      </div>
      <Note id="edit-comment" label="What was wrong with the draft? (optional)" />
      <FormButtons label="Send the edited answer" />
    </ActionForm>
  );
}

function ChooseEvidenceForm() {
  return (
    <ActionForm name="edit" label="Choose the evidence">
      <h3>Choose the evidence</h3>
      <p>
        Tick <strong>Use this passage as evidence</strong> on the passages the answer should be
        written from.
      </p>
      <p class="hint" id="chosen-count" aria-live="polite"></p>
      <Note id="edit-comment" /> <FormButtons label="Answer from these passages" />
    </ActionForm>
  );
}

function RejectForm() {
  return (
    <ActionForm name="reject" label="Reject">
      <h3>Reject</h3>
      <p class="hint">The user gets the safe fallback reply instead of an answer.</p>
      <fieldset class="reasons-list">
        <legend class="hint">Why? Choose at least one reason, or say why in the comment.</legend>
        {REJECT_REASONS.map((r) => (
          <label>
            <input type="checkbox" name="reject-reason" value={r.value} /> {r.label}
          </label>
        ))}
      </fieldset>
      <div class="field">
        <label for="reject-comment">Comment</label>
        <textarea id="reject-comment" rows={3} maxlength={5000}></textarea>
      </div>
      <FormButtons label="Reject" kind="danger" />
    </ActionForm>
  );
}

function ReviseForm(props: { view: ReviewView }) {
  const { card } = props.view;
  const answerStage = card.stage === "answer";
  return (
    <ActionForm name="revise" label="Ask for a revision">
      <h3>{answerStage ? "Ask for a new draft" : "Search again"}</h3>
      <p class="hint">
        This will be revision {card.revision.count + 1} of {card.revision.limit}.
      </p>
      <div class="field">
        <label for="revise-instructions">
          {answerStage
            ? "What should the new draft do differently?"
            : "What should the search look for?"}
        </label>
        <textarea id="revise-instructions" rows={4} maxlength={5000}></textarea>
      </div>
      <Note id="revise-comment" /> <FormButtons label="Ask for a revision" />
    </ActionForm>
  );
}

function DecisionForms(props: { view: ReviewView }) {
  const { view } = props;
  const card = view.card;
  const allowed = new Set(card.allowed_decisions);
  const answerStage = card.stage === "answer";
  const noPassages = card.retrieval.passages.length === 0;
  const approvals = view.approvals;
  return (
    <section class="panel" aria-labelledby="actions-title">
      <h2 id="actions-title">Your decision</h2>
      <div id="messages" aria-live="polite"></div>
      <div class="actions-bar">
        <OpenButton name="approve" label="Approve" shortcut="a" allowed={allowed.has("approve")} />{" "}
        <OpenButton
          name="edit"
          label={answerStage ? "Edit" : "Choose evidence"}
          shortcut="e"
          allowed={allowed.has("edit")}
          disabledWhy={
            !answerStage && noPassages ? "there are no passages to choose from" : undefined
          }
        />{" "}
        <OpenButton
          name="respond"
          label="Answer directly"
          shortcut="r"
          allowed={allowed.has("respond")}
        />{" "}
        <OpenButton name="reject" label="Reject" shortcut="x" allowed={allowed.has("reject")} />{" "}
        <OpenButton name="revise" label="Revise" shortcut="v" allowed={allowed.has("revise")} />
      </div>
      {!allowed.has("revise") && (
        <p class="hint">
          No revisions left: {card.revision.count} of {card.revision.limit} used.
        </p>
      )}

      <ActionForm name="approve" label="Approve">
        <h3>Approve</h3>
        <p>
          {answerStage
            ? "Send the draft to the user as it is."
            : "These passages are good evidence: write the answer from them."}
        </p>
        {approvals.required > 1 && (
          <p class="hint">
            This item needs {approvals.required} approvals;{" "}
            {approvals.votes.filter((v) => v.decision_type === "approve").length} so far.
          </p>
        )}{" "}
        <Note id="approve-comment" />
        <FormButtons label={answerStage ? "Approve and send" : "Approve the evidence"} />
      </ActionForm>

      {allowed.has("edit") &&
        (answerStage ? <EditAnswerForm draft={card.draft?.text ?? ""} /> : <ChooseEvidenceForm />)}

      <ActionForm name="respond" label="Answer directly">
        <h3>Answer the question yourself</h3>
        <div class="field">
          <label for="respond-answer">
            Your answer <span class="hint">The user gets exactly this text.</span>
          </label>
          <textarea id="respond-answer" rows={7} maxlength={20000}></textarea>
        </div>
        <Note id="respond-comment" /> <FormButtons label="Send my answer" />
      </ActionForm>

      <RejectForm />

      {allowed.has("revise") && <ReviseForm view={view} />}
    </section>
  );
}
