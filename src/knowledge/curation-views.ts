import type { DocumentRow } from "../repositories/documents.js";
import type { CurationView } from "./curation.js";

/** A version as JSON: dates as ISO strings, the full text left out (it is in the detail view). */
export function versionView(doc: DocumentRow) {
  return {
    document_id: doc.document_id,
    document_key: doc.document_key,
    version: doc.version,
    title: doc.title,
    source: doc.source,
    domain: doc.domain,
    status: doc.status,
    replaces: doc.replaces,
    submitted_by: doc.submitted_by,
    decided_by: doc.decided_by,
    decided_at: doc.decided_at?.toISOString() ?? null,
    reasons: doc.reasons,
    comment: doc.comment,
    created_at: doc.created_at.toISOString(),
    chunks: doc.chunks,
  };
}

export function viewOfCuration(view: CurationView) {
  return {
    document: versionView(view.document),
    text: view.text,
    replaces: view.replaces ? { ...versionView(view.replaces), text: view.replaces.text } : null,
    diff: view.diff,
    affected: {
      days: view.affected.days,
      total: view.affected.total,
      items: view.affected.items.map((t) => ({
        thread_id: t.thread_id,
        question: t.question,
        completed_at: t.completed_at.toISOString(),
      })),
    },
    events: view.events.map((e) => ({
      event_id: String(e.event_id),
      type: e.type,
      actor: e.actor,
      at: e.at.toISOString(),
      before: e.before,
      after: e.after,
    })),
  };
}

/** The queue's keyset cursor: the last item's arrival time and id, opaque to clients. */
export function encodeDocumentCursor(next: { created_at: Date; document_id: string }): string {
  return Buffer.from(JSON.stringify([next.created_at.toISOString(), next.document_id])).toString(
    "base64url",
  );
}

export function decodeDocumentCursor(
  cursor: string,
): { created_at: Date; document_id: string } | undefined {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (typeof at !== "string" || typeof id !== "string") return undefined;
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const created_at = new Date(at);
    return Number.isNaN(created_at.getTime()) ? undefined : { created_at, document_id: id };
  } catch {
    return undefined;
  }
}
