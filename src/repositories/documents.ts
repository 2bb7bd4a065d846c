import type { Queryable } from "../db/database.js";

export const documentStatuses = ["pending", "live", "rejected", "superseded"] as const;
export type DocumentStatus = (typeof documentStatuses)[number];

/** One version of a document. */
export interface DocumentRow {
  document_id: string;
  document_key: string;
  version: number;
  title: string;
  source: string | null;
  domain: string | null;
  status: DocumentStatus;
  replaces: string | null;
  body: string | null;
  submitted_by: string | null;
  decided_by: string | null;
  decided_at: Date | null;
  reasons: string[];
  comment: string | null;
  created_at: Date;
  chunks: number;
}

const COLUMNS = `d.document_id, d.document_key, d.version, d.title, d.source, d.domain, d.status,
  d.replaces, d.body, d.submitted_by, d.decided_by, d.decided_at, d.reasons, d.comment, d.created_at,
  (SELECT count(*)::int FROM chunks c WHERE c.document_id = d.document_id) AS chunks`;

/**
 * Serialises every change to one document's versions (a transaction-scoped advisory lock on the
 * key): two submissions or decisions on the same document take turns, so version numbers and
 * the one-live-version rule never race.
 */
export async function lockDocumentKey(db: Queryable, key: string): Promise<void> {
  await db.query("SELECT pg_advisory_xact_lock(hashtextextended('document:' || $1, 0))", [key]);
}

export async function findDocument(db: Queryable, id: string): Promise<DocumentRow | undefined> {
  const { rows } = await db.query<DocumentRow>(
    `SELECT ${COLUMNS} FROM documents d WHERE d.document_id = $1`,
    [id],
  );
  return rows[0];
}

export async function findByContentHash(
  db: Queryable,
  hash: string,
): Promise<DocumentRow | undefined> {
  const { rows } = await db.query<DocumentRow>(
    `SELECT ${COLUMNS} FROM documents d WHERE d.content_hash = $1`,
    [hash],
  );
  return rows[0];
}

/** The live version of a key and the highest version number it has so far. */
export async function versionsOf(
  db: Queryable,
  key: string,
): Promise<{ live: DocumentRow | undefined; latest: number }> {
  const { rows } = await db.query<DocumentRow & { latest: number }>(
    `SELECT ${COLUMNS}, (SELECT max(version) FROM documents WHERE document_key = $1) AS latest
     FROM (SELECT 1) one LEFT JOIN documents d ON d.document_key = $1 AND d.status = 'live'`,
    [key],
  );
  const row = rows[0]!;
  return { live: row.document_id ? row : undefined, latest: Number(row.latest ?? 0) };
}

export interface NewVersion {
  document_key: string;
  version: number;
  title: string;
  source: string | null;
  domain: string | null;
  content_hash: string;
  status: "pending" | "live";
  replaces: string | null;
  body: string;
  submitted_by: string;
  decided_by: string | null;
  comment?: string | null;
  pieces: string[];
}

/** A version and its chunks (searchable only when live); undefined when the text is already there. */
export async function insertVersion(db: Queryable, v: NewVersion): Promise<string | undefined> {
  const { rows } = await db.query<{ document_id: string }>(
    `INSERT INTO documents (document_key, version, title, source, domain, content_hash, status,
       replaces, body, submitted_by, decided_by, decided_at, comment)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $11::text IS NULL THEN NULL ELSE now() END, $12)
     ON CONFLICT (content_hash) DO NOTHING RETURNING document_id`,
    [
      v.document_key,
      v.version,
      v.title,
      v.source,
      v.domain,
      v.content_hash,
      v.status,
      v.replaces,
      v.body,
      v.submitted_by,
      v.decided_by,
      v.comment ?? null,
    ],
  );
  const id = rows[0]?.document_id;
  if (!id) return undefined;
  await db.query(
    `INSERT INTO chunks (document_id, ordinal, title, text, live)
     SELECT $1, ordinality - 1, $2, piece, $4 FROM unnest($3::text[]) WITH ORDINALITY AS piece`,
    [id, v.title, v.pieces, v.status === "live"],
  );
  return id;
}

/**
 * Moves a version out of `from` into `to` (a conditional update: the version is changed only if
 * it is still in `from`, which is how one of two concurrent decisions wins). Its chunks follow.
 */
export async function transition(
  db: Queryable,
  id: string,
  from: DocumentStatus,
  to: DocumentStatus,
  decision: { actor: string; reasons?: string[]; comment?: string | null },
): Promise<boolean> {
  const { rowCount } = await db.query(
    // Who decided is the decision on the pending version; stepping down later keeps it.
    `UPDATE documents SET status = $3,
       decided_by = CASE WHEN $2 = 'pending' THEN $4 ELSE decided_by END,
       decided_at = CASE WHEN $2 = 'pending' THEN now() ELSE decided_at END,
       reasons = coalesce($5::text[], reasons), comment = coalesce($6, comment)
     WHERE document_id = $1 AND status = $2`,
    [id, from, to, decision.actor, decision.reasons ?? null, decision.comment ?? null],
  );
  if (rowCount !== 1) return false;
  await db.query("UPDATE chunks SET live = $2 WHERE document_id = $1 AND live <> $2", [
    id,
    to === "live",
  ]);
  return true;
}

/** Pending versions of a key, oldest first (a newer submission supersedes them). */
export async function pendingVersionsOf(db: Queryable, key: string): Promise<string[]> {
  const { rows } = await db.query<{ document_id: string }>(
    `SELECT document_id FROM documents WHERE document_key = $1 AND status = 'pending' ORDER BY version`,
    [key],
  );
  return rows.map((r) => r.document_id);
}

export interface PendingPage {
  items: DocumentRow[];
  next: { created_at: Date; document_id: string } | undefined;
}

/** The curation queue: pending versions, oldest first, keyset-paginated, optionally by domain. */
export async function listPending(
  db: Queryable,
  options: {
    limit: number;
    domains?: readonly string[];
    after?: { created_at: Date; document_id: string };
  },
): Promise<PendingPage> {
  const { rows } = await db.query<DocumentRow>(
    `SELECT ${COLUMNS} FROM documents d
     WHERE d.status = 'pending'
       AND ($2::text[] IS NULL OR lower(d.domain) = ANY($2::text[]))
       -- Milliseconds, as the cursor carries them (a JS Date).
       AND ($3::timestamptz IS NULL
            OR (date_trunc('milliseconds', d.created_at), d.document_id) > ($3, $4::uuid))
     ORDER BY d.created_at, d.document_id
     LIMIT $1`,
    [
      options.limit + 1,
      options.domains ?? null,
      options.after?.created_at ?? null,
      options.after?.document_id ?? null,
    ],
  );
  const items = rows.slice(0, options.limit);
  const last = items.at(-1);
  return {
    items,
    next:
      rows.length > options.limit && last
        ? { created_at: last.created_at, document_id: last.document_id }
        : undefined,
  };
}

/** The text of a version: as submitted, or (for versions from before 0014) its chunks joined. */
export async function textOf(db: Queryable, doc: DocumentRow): Promise<string> {
  if (doc.body !== null) return doc.body;
  const { rows } = await db.query<{ text: string }>(
    "SELECT text FROM chunks WHERE document_id = $1 ORDER BY ordinal",
    [doc.document_id],
  );
  return rows.map((r) => r.text).join("\n\n");
}

export interface AffectedThread {
  thread_id: string;
  question: string;
  completed_at: Date;
}

/**
 * Answers given from this version in the last `days` days: threads whose citations name it
 * (a containment search on the citations' GIN index), newest first.
 */
export async function threadsAnsweredFrom(
  db: Queryable,
  documentId: string,
  days: number,
  limit: number,
): Promise<{ total: number; items: AffectedThread[] }> {
  const { rows } = await db.query<AffectedThread & { total: number }>(
    `SELECT thread_id, question, completed_at, count(*) OVER ()::int AS total FROM threads
     WHERE citations @> $1::jsonb AND completed_at > now() - make_interval(days => $2)
     ORDER BY completed_at DESC, thread_id LIMIT $3`,
    [JSON.stringify([{ document_id: documentId }]), days, limit],
  );
  return {
    total: rows[0]?.total ?? 0,
    items: rows.map(({ thread_id, question, completed_at }) => ({
      thread_id,
      question,
      completed_at,
    })),
  };
}
