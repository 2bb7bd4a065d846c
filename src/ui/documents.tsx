import type { Child } from "hono/jsx";
import type { CurationView } from "../knowledge/curation.js";
import type { DocumentRow } from "../repositories/documents.js";
import { countWords, type DiffOp } from "../text/word-diff.js";
import { Age, At } from "./format.js";

/** The curation queue: pending document versions, oldest first. */
export function DocumentQueueBody(props: {
  items: DocumentRow[];
  now: Date;
  nextUrl: string | null;
  flash?: Child;
}) {
  return (
    <>
      <h1>Documents waiting for curation</h1>
      {props.flash}
      <section class="panel" aria-labelledby="documents-title">
        <h2 id="documents-title" class="sr-only">
          Pending documents
        </h2>
        {props.items.length === 0 ? (
          <p class="empty">No document is waiting for you.</p>
        ) : (
          <table class="queue" id="documents">
            <caption class="sr-only">Pending document versions, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">Document</th>
                <th scope="col">Domain</th>
                <th scope="col">Version</th>
                <th scope="col">Sent by</th>
                <th scope="col">Waiting</th>
              </tr>
            </thead>
            <tbody>
              {props.items.map((doc) => (
                <tr data-document-id={doc.document_id}>
                  <td>
                    <a href={`/ui/documents/${doc.document_id}`}>{doc.title}</a>
                    <div class="muted">{doc.document_key}</div>
                  </td>
                  <td>{doc.domain ?? "—"}</td>
                  <td>{doc.replaces ? `${doc.version} (update)` : `${doc.version} (new)`}</td>
                  <td>{doc.submitted_by ?? "—"}</td>
                  <td>
                    <Age createdAt={doc.created_at.toISOString()} now={props.now} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div class="pager">
          <span></span>
          <span>
            {props.nextUrl && (
              <a href={props.nextUrl} rel="next">
                Next page →
              </a>
            )}
          </span>
        </div>
        <p class="hint">
          A document in a curated domain is not used for answers until a reviewer of that domain
          approves it; until then the version it replaces stays in use.
        </p>
      </section>
    </>
  );
}

/** The diff as marked-up text: removed words struck through, added words highlighted. */
function Diff(props: { ops: DiffOp[] }) {
  const removed = props.ops
    .filter((o) => o.op === "delete")
    .reduce((n, o) => n + countWords(o.text), 0);
  const added = props.ops
    .filter((o) => o.op === "insert")
    .reduce((n, o) => n + countWords(o.text), 0);
  return (
    <>
      <p class="diff-summary" id="diff-summary">
        {added} word(s) added, {removed} word(s) removed
      </p>
      <div class="diff" id="diff">
        {props.ops.map((o) =>
          o.op === "insert" ? (
            <ins>{o.text}</ins>
          ) : o.op === "delete" ? (
            <del>{o.text}</del>
          ) : (
            o.text
          ),
        )}
      </div>
    </>
  );
}

function DecisionForms(props: { doc: DocumentRow; text: string }) {
  const base = `/ui/documents/${props.doc.document_id}`;
  return (
    <section class="panel" aria-labelledby="decide-title">
      <h2 id="decide-title">Decide</h2>
      <form method="post" action={`${base}/approve`} class="action-form" id="approve-form">
        <div class="field">
          <label for="approve-comment">Note for the record (optional)</label>
          <input
            type="text"
            id="approve-comment"
            name="comment"
            maxlength={5000}
            autocomplete="off"
          />
        </div>
        <div class="buttons">
          <button type="submit" class="primary">
            Approve: use this version for answers
          </button>
        </div>
      </form>
      <details class="action-form">
        <summary>Reject, with reasons</summary>
        <form method="post" action={`${base}/reject`} id="reject-form">
          <div class="field">
            <label for="reject-reasons">Reasons (one per line)</label>
            <textarea
              id="reject-reasons"
              name="reasons"
              rows={3}
              required
              maxlength={5000}
            ></textarea>
          </div>
          <div class="buttons">
            <button type="submit" class="danger">
              Reject this version
            </button>
          </div>
        </form>
      </details>
      <details class="action-form">
        <summary>Edit, then approve the edited text</summary>
        <form method="post" action={`${base}/edit`} id="edit-form">
          <div class="field">
            <label for="edit-text">Text</label>
            <textarea id="edit-text" name="text" rows={12} required maxlength={500000}>
              {props.text}
            </textarea>
          </div>
          <div class="field">
            <label for="edit-comment">What you changed (optional)</label>
            <input
              type="text"
              id="edit-comment"
              name="comment"
              maxlength={5000}
              autocomplete="off"
            />
          </div>
          <div class="buttons">
            <button type="submit" class="primary">
              Approve the edited text
            </button>
          </div>
        </form>
      </details>
    </section>
  );
}

function Decided(props: { doc: DocumentRow }) {
  const { doc } = props;
  return (
    <section class="panel" aria-labelledby="decide-title">
      <h2 id="decide-title">Status</h2>
      <p class="decided-note" id="document-status">
        This version is {doc.status}
        {doc.decided_by ? ` (decided by ${doc.decided_by}` : ""}
        {doc.decided_at && (
          <>
            {" "}
            on <At iso={doc.decided_at.toISOString()} />
          </>
        )}
        {doc.decided_by ? ")" : ""}.
      </p>
      {doc.reasons.length > 0 && <p>Reasons: {doc.reasons.join("; ")}</p>}
      {doc.comment && <p>Note: {doc.comment}</p>}
    </section>
  );
}

/** One version: the diff against the version it replaces, what it would affect, the decision. */
export function DocumentBody(props: { view: CurationView; flash?: Child }) {
  const { view } = props;
  const doc = view.document;
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/ui/documents">← Documents</a>
      </nav>
      <h1>{doc.title}</h1>
      {props.flash}
      <p class="muted">
        {doc.document_key} · version {doc.version} · domain {doc.domain ?? "none"} · sent by{" "}
        {doc.submitted_by ?? "unknown"} <At iso={doc.created_at.toISOString()} />
      </p>
      <section class="panel" aria-labelledby="changes-title">
        <h2 id="changes-title">
          {view.replaces
            ? `What changed against version ${view.replaces.version} (${view.replaces.status})`
            : "A new document: all of its text is new"}
        </h2>
        <Diff ops={view.diff} />
      </section>
      <section class="panel" aria-labelledby="affected-title">
        <h2 id="affected-title">
          Answers given from the replaced version in the last {view.affected.days} days
        </h2>
        {view.affected.total === 0 ? (
          <p class="empty" id="affected-none">
            {view.replaces ? "None." : "None: nothing was answered from this document yet."}
          </p>
        ) : (
          <>
            <p>
              {view.affected.total} answer(s) used it; approving changes what such questions get.
            </p>
            <ul id="affected">
              {view.affected.items.map((t) => (
                <li>
                  {t.question}{" "}
                  <span class="muted">
                    (<At iso={t.completed_at.toISOString()} />)
                  </span>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      {doc.status === "pending" ? (
        <DecisionForms doc={doc} text={view.text} />
      ) : (
        <Decided doc={doc} />
      )}
      <section class="panel" aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        <ol class="audit">
          {view.events.map((e) => (
            <li>
              {e.type} by {e.actor} <At iso={e.at.toISOString()} />
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}
