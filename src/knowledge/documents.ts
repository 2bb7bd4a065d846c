import { createHash } from "node:crypto";
import type pg from "pg";
import { RecursiveCharacterTextSplitter } from "@langchain/textsplitters";
import { withTransaction, type Queryable } from "../db/database.js";
import { appendDocumentEvent } from "../repositories/document-events.js";
import {
  findByContentHash,
  insertVersion,
  lockDocumentKey,
  pendingVersionsOf,
  transition,
  versionsOf,
  type DocumentStatus,
} from "../repositories/documents.js";
import { emitNothing, type EmitEvent } from "../webhooks/emit.js";

export interface NewDocument {
  title: string;
  text: string;
  source?: string;
  domain?: string;
}

export interface IngestedDocument {
  document_id: string;
  /** The stable key the versions of a document share: its source when given, else its title. */
  document_key: string;
  version: number;
  /** `pending` until a reviewer approves it when its domain is curated; else `live`. */
  status: DocumentStatus;
  /** The version that was live when this one came in (what it replaces on approval). */
  replaces: string | null;
  chunks: number;
  /** False when the same title and text were already in the knowledge base. */
  created: boolean;
}

/** How a submission is treated: the curation policy, who sends it, where events go. */
export interface IngestOptions {
  /** Whether versions in this domain wait for a reviewer. Default: none do (a trusted load). */
  isCurated?: (domain: string | null) => boolean;
  actor?: string;
  emit?: EmitEvent;
}

/** Chunks of about a paragraph or two: small enough to cite, big enough to answer from. */
const splitter = new RecursiveCharacterTextSplitter({ chunkSize: 900, chunkOverlap: 120 });

export function contentHash(doc: Pick<NewDocument, "title" | "text">): string {
  return createHash("sha256").update(doc.title).update("\0").update(doc.text).digest("hex");
}

export function documentKeyOf(doc: Pick<NewDocument, "title" | "source">): string {
  return doc.source ?? doc.title;
}

export function splitIntoChunks(text: string): Promise<string[]> {
  return splitter.splitText(text);
}

/**
 * Adds a document, or a new version of one (same key, other text), with its chunks in one
 * transaction; the same title and text twice is a no-op that answers the first result. In a
 * curated domain (the new version's or the one it replaces) the version waits as `pending` and
 * the live one stays live; otherwise it is live at once and the previous live version is
 * superseded.
 */
export async function ingestDocument(
  pool: pg.Pool,
  doc: NewDocument,
  options: IngestOptions = {},
): Promise<IngestedDocument> {
  const hash = contentHash(doc);
  const key = documentKeyOf(doc);
  const actor = options.actor ?? "system";
  const emit = options.emit ?? emitNothing;
  const pieces = await splitIntoChunks(doc.text);
  return withTransaction(pool, async (tx) => {
    await lockDocumentKey(tx, key);
    const existing = await findByContentHash(tx, hash);
    if (existing) return ingested(existing, existing.chunks, false);
    const { live, latest } = await versionsOf(tx, key);
    const domain = doc.domain ?? null;
    const curated =
      (options.isCurated?.(domain) ?? false) ||
      (live !== undefined && (options.isCurated?.(live.domain) ?? false));
    const status = curated ? "pending" : "live";
    // The newest submission is the one to review: older pending versions give way to it.
    for (const older of await pendingVersionsOf(tx, key)) {
      await transition(tx, older, "pending", "superseded", {
        actor,
        comment: `version ${latest + 1} was submitted`,
      });
      await appendDocumentEvent(tx, {
        document_id: older,
        type: "superseded",
        actor,
        after: { status: "superseded", by_version: latest + 1 },
      });
    }
    if (!curated && live) await supersedeLive(tx, live.document_id, actor, latest + 1);
    const id = await insertVersion(tx, {
      document_key: key,
      version: latest + 1,
      title: doc.title,
      source: doc.source ?? null,
      domain,
      content_hash: hash,
      status,
      replaces: live?.document_id ?? null,
      body: doc.text,
      submitted_by: actor,
      decided_by: curated ? null : actor,
      pieces,
    });
    // The advisory lock on the key and the hash check above make this unreachable in practice;
    // a title+text clash under another key would land here.
    if (!id) throw new Error(`document ${key}: the same title and text exist under another key`);
    const result: IngestedDocument = {
      document_id: id,
      document_key: key,
      version: latest + 1,
      status,
      replaces: live?.document_id ?? null,
      chunks: pieces.length,
      created: true,
    };
    await appendDocumentEvent(tx, {
      document_id: id,
      type: "submitted",
      actor,
      after: { status, version: result.version, replaces: result.replaces, domain },
    });
    if (curated) {
      await emit(tx, "document.pending", {
        document_id: id,
        document_key: key,
        version: result.version,
        title: doc.title,
        domain,
        replaces: result.replaces,
        submitted_by: actor,
      });
    }
    return result;
  });
}

/** The live version steps down for a newer one (its chunks stop being retrievable). */
export async function supersedeLive(
  tx: Queryable,
  liveId: string,
  actor: string,
  byVersion: number,
): Promise<void> {
  if (!(await transition(tx, liveId, "live", "superseded", { actor }))) return;
  await appendDocumentEvent(tx, {
    document_id: liveId,
    type: "superseded",
    actor,
    before: { status: "live" },
    after: { status: "superseded", by_version: byVersion },
  });
}

function ingested(
  row: {
    document_id: string;
    document_key: string;
    version: number;
    status: DocumentStatus;
    replaces: string | null;
  },
  chunks: number,
  created: boolean,
): IngestedDocument {
  return {
    document_id: row.document_id,
    document_key: row.document_key,
    version: row.version,
    status: row.status,
    replaces: row.replaces,
    chunks,
    created,
  };
}

export async function countDocuments(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM documents");
  return Number(rows[0]?.n ?? 0);
}
