import type pg from "pg";
import type { Principal } from "../auth/principal.js";
import { withTransaction, type Queryable } from "../db/database.js";
import { appendDocumentEvent, documentEventsOf } from "../repositories/document-events.js";
import {
  findByContentHash,
  findDocument,
  insertVersion,
  listPending,
  lockDocumentKey,
  textOf,
  threadsAnsweredFrom,
  transition,
  versionsOf,
  type AffectedThread,
  type DocumentRow,
  type PendingPage,
} from "../repositories/documents.js";
import { ConflictError, ForbiddenError, notFound } from "../services/errors.js";
import { wordDiff, type DiffOp } from "../text/word-diff.js";
import { emitNothing, type EmitEvent } from "../webhooks/emit.js";
import { contentHash, splitIntoChunks, supersedeLive } from "./documents.js";

/**
 * Curated knowledge: a version of a document in a curated domain is not retrievable until a
 * reviewer of that domain approves it (or edits it, which approves the edited text). Every step
 * is in the document's audit trail and announced through the webhook outbox.
 */
export interface CurationSettings {
  /** Domains (lower-cased policy rule ids) whose documents wait for a reviewer. */
  curatedDomains: ReadonlySet<string>;
  /** How far back "answers given from the version this replaces" looks (CURATION_AFFECTED_DAYS). */
  affectedDays: number;
}

export function isCuratedDomain(settings: CurationSettings) {
  return (domain: string | null): boolean =>
    domain !== null && settings.curatedDomains.has(domain.toLowerCase());
}

/** Who decides: an admin may curate any domain, a reviewer only the domains of their key. */
export interface Curator {
  name: string;
  admin: boolean;
  /** Lower-cased domains of the key; null: every domain. */
  domains: readonly string[] | null;
}

export function curatorFor(principal: Principal): Curator {
  return {
    name: principal.name,
    admin: principal.open || principal.role === "admin",
    domains: principal.domains,
  };
}

export interface CurationDeps {
  pool: pg.Pool;
  settings: CurationSettings;
  emit?: EmitEvent;
}

function mayCurate(curator: Curator, ...domains: (string | null)[]): boolean {
  if (curator.admin || curator.domains === null) return true;
  return domains.every((d) => d === null || curator.domains!.includes(d.toLowerCase()));
}

/** The version, its replaced version's domain, and a refusal when the curator may not decide it. */
async function pendingFor(tx: Queryable, id: string, curator: Curator): Promise<DocumentRow> {
  const doc = await findDocument(tx, id);
  if (!doc) throw notFound("document", id);
  const replaced = doc.replaces ? await findDocument(tx, doc.replaces) : undefined;
  if (!mayCurate(curator, doc.domain, replaced?.domain ?? null)) {
    throw new ForbiddenError(
      "outside_your_domains",
      `${curator.name} may curate ${curator.domains?.join(", ") || "no"} documents, not ${doc.domain}`,
    );
  }
  return doc;
}

function alreadyDecided(doc: DocumentRow): ConflictError {
  return new ConflictError(
    "document_already_decided",
    `version ${doc.version} of "${doc.document_key}" is ${doc.status}${doc.decided_by ? ` (by ${doc.decided_by})` : ""}`,
    { status: doc.status, decided_by: doc.decided_by },
  );
}

export interface Decided {
  document: DocumentRow;
  /** The version that stepped down for it, if any. */
  superseded: string | null;
}

/** Approves a pending version: it goes live and the live version of its key is superseded. */
export async function approveDocument(
  deps: CurationDeps,
  id: string,
  curator: Curator,
  input: { comment?: string } = {},
): Promise<Decided> {
  return withTransaction(deps.pool, async (tx) => {
    const first = await findDocument(tx, id);
    if (!first) throw notFound("document", id);
    await lockDocumentKey(tx, first.document_key);
    const doc = await pendingFor(tx, id, curator);
    if (doc.status !== "pending") throw alreadyDecided(doc);
    const { live } = await versionsOf(tx, doc.document_key);
    if (live) await supersedeLive(tx, live.document_id, curator.name, doc.version);
    if (!(await transition(tx, id, "pending", "live", { actor: curator.name, ...input }))) {
      throw alreadyDecided(doc);
    }
    await appendDocumentEvent(tx, {
      document_id: id,
      type: "approved",
      actor: curator.name,
      before: { status: "pending" },
      after: {
        status: "live",
        comment: input.comment ?? null,
        superseded: live?.document_id ?? null,
      },
    });
    await (deps.emit ?? emitNothing)(tx, "document.approved", {
      document_id: id,
      document_key: doc.document_key,
      version: doc.version,
      domain: doc.domain,
      decided_by: curator.name,
      superseded: live?.document_id ?? null,
    });
    return { document: (await findDocument(tx, id))!, superseded: live?.document_id ?? null };
  });
}

/** Rejects a pending version with reasons: it is never retrievable; the live version stays. */
export async function rejectDocument(
  deps: CurationDeps,
  id: string,
  curator: Curator,
  input: { reasons: string[]; comment?: string },
): Promise<Decided> {
  return withTransaction(deps.pool, async (tx) => {
    const first = await findDocument(tx, id);
    if (!first) throw notFound("document", id);
    await lockDocumentKey(tx, first.document_key);
    const doc = await pendingFor(tx, id, curator);
    const decision = { actor: curator.name, reasons: input.reasons, comment: input.comment };
    if (!(await transition(tx, id, "pending", "rejected", decision))) throw alreadyDecided(doc);
    await appendDocumentEvent(tx, {
      document_id: id,
      type: "rejected",
      actor: curator.name,
      before: { status: "pending" },
      after: { status: "rejected", reasons: input.reasons, comment: input.comment ?? null },
    });
    await (deps.emit ?? emitNothing)(tx, "document.rejected", {
      document_id: id,
      document_key: doc.document_key,
      version: doc.version,
      domain: doc.domain,
      decided_by: curator.name,
      reasons: input.reasons,
    });
    return { document: (await findDocument(tx, id))!, superseded: null };
  });
}

/**
 * Approves with an edit: the reviewer's text becomes a new version that goes live at once (the
 * submitted one is superseded by it, its text kept for the record). Text identical to the
 * submission is a plain approval.
 */
export async function editDocument(
  deps: CurationDeps,
  id: string,
  curator: Curator,
  input: { text: string; comment?: string },
): Promise<Decided> {
  const pieces = await splitIntoChunks(input.text);
  const outcome = await withTransaction(deps.pool, async (tx) => {
    const first = await findDocument(tx, id);
    if (!first) throw notFound("document", id);
    await lockDocumentKey(tx, first.document_key);
    const doc = await pendingFor(tx, id, curator);
    if (doc.status !== "pending") throw alreadyDecided(doc);
    const hash = contentHash({ title: doc.title, text: input.text });
    const same = await findByContentHash(tx, hash);
    if (same?.document_id === id) return "unchanged" as const;
    if (same) {
      throw new ConflictError(
        "document_text_exists",
        `that text is already version ${same.version} of "${same.document_key}" (${same.status})`,
        { document_id: same.document_id },
      );
    }
    const { live, latest } = await versionsOf(tx, doc.document_key);
    const comment = input.comment ?? null;
    await transition(tx, id, "pending", "superseded", {
      actor: curator.name,
      comment: comment ?? `edited into version ${latest + 1}`,
    });
    await appendDocumentEvent(tx, {
      document_id: id,
      type: "edited",
      actor: curator.name,
      before: { status: "pending" },
      after: { status: "superseded", by_version: latest + 1, comment },
    });
    if (live) await supersedeLive(tx, live.document_id, curator.name, latest + 1);
    const editedId = (await insertVersion(tx, {
      document_key: doc.document_key,
      version: latest + 1,
      title: doc.title,
      source: doc.source,
      domain: doc.domain,
      content_hash: hash,
      status: "live",
      replaces: doc.replaces,
      body: input.text,
      submitted_by: curator.name,
      decided_by: curator.name,
      comment: comment ?? `edit of version ${doc.version}`,
      pieces,
    }))!;
    await appendDocumentEvent(tx, {
      document_id: editedId,
      type: "approved",
      actor: curator.name,
      after: { status: "live", edit_of: id, comment, superseded: live?.document_id ?? null },
    });
    await (deps.emit ?? emitNothing)(tx, "document.approved", {
      document_id: editedId,
      document_key: doc.document_key,
      version: latest + 1,
      domain: doc.domain,
      decided_by: curator.name,
      edit_of: id,
      superseded: live?.document_id ?? null,
    });
    return { document: (await findDocument(tx, editedId))!, superseded: live?.document_id ?? null };
  });
  return outcome === "unchanged" ? approveDocument(deps, id, curator, input) : outcome;
}

/** A version as the curation page and GET /documents/:id show it. */
export interface CurationView {
  document: DocumentRow;
  text: string;
  /** The version it replaces (live when it was submitted), with its text. */
  replaces: (DocumentRow & { text: string }) | null;
  /** Word diff from the replaced version's text (everything inserted for a new document). */
  diff: DiffOp[];
  /** Answers given from the replaced version in the last `days` days: what approval would change. */
  affected: { days: number; total: number; items: AffectedThread[] };
  events: Awaited<ReturnType<typeof documentEventsOf>>;
}

const AFFECTED_SHOWN = 50;

export async function curationView(deps: CurationDeps, id: string): Promise<CurationView> {
  const db = deps.pool;
  const doc = await findDocument(db, id);
  if (!doc) throw notFound("document", id);
  const text = await textOf(db, doc);
  const replacedRow = doc.replaces ? await findDocument(db, doc.replaces) : undefined;
  const replaces = replacedRow ? { ...replacedRow, text: await textOf(db, replacedRow) } : null;
  const days = deps.settings.affectedDays;
  const affected = replaces
    ? await threadsAnsweredFrom(db, replaces.document_id, days, AFFECTED_SHOWN)
    : { total: 0, items: [] };
  return {
    document: doc,
    text,
    replaces,
    diff: wordDiff(replaces?.text ?? "", text),
    affected: { days, ...affected },
    events: await documentEventsOf(db, id),
  };
}

/** The curation queue a curator sees: pending versions in their domains, oldest first. */
export function curationQueue(
  deps: CurationDeps,
  curator: Curator,
  page: { limit: number; after?: { created_at: Date; document_id: string } },
): Promise<PendingPage> {
  const domains = curator.admin ? null : curator.domains;
  return listPending(deps.pool, { ...page, ...(domains ? { domains } : {}) });
}
