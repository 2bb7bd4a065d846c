import { createHash } from "node:crypto";
import type pg from "pg";
import { RecursiveCharacterTextSplitter } from "@langchain/textsplitters";
import { withTransaction, type Queryable } from "../db/database.js";

export interface NewDocument {
  title: string;
  text: string;
  source?: string;
  domain?: string;
}

export interface IngestedDocument {
  document_id: string;
  chunks: number;
  /** False when the same title and text were already in the knowledge base. */
  created: boolean;
}

/** Chunks of about a paragraph or two: small enough to cite, big enough to answer from. */
const splitter = new RecursiveCharacterTextSplitter({ chunkSize: 900, chunkOverlap: 120 });

export function contentHash(doc: Pick<NewDocument, "title" | "text">): string {
  return createHash("sha256").update(doc.title).update("\0").update(doc.text).digest("hex");
}

/** Adds a document and its chunks in one transaction; the same content twice is a no-op. */
export async function ingestDocument(pool: pg.Pool, doc: NewDocument): Promise<IngestedDocument> {
  const hash = contentHash(doc);
  const pieces = await splitter.splitText(doc.text);
  return withTransaction(pool, async (tx) => {
    const inserted = await tx.query<{ document_id: string }>(
      `INSERT INTO documents (title, source, domain, content_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT (content_hash) DO NOTHING RETURNING document_id`,
      [doc.title, doc.source ?? null, doc.domain ?? null, hash],
    );
    const row = inserted.rows[0];
    if (!row) {
      const existing = await tx.query<{ document_id: string; chunks: string }>(
        `SELECT d.document_id, (SELECT count(*) FROM chunks c WHERE c.document_id = d.document_id) AS chunks
         FROM documents d WHERE content_hash = $1`,
        [hash],
      );
      const found = existing.rows[0]!;
      return { document_id: found.document_id, chunks: Number(found.chunks), created: false };
    }
    await tx.query(
      `INSERT INTO chunks (document_id, ordinal, title, text)
       SELECT $1, ordinality - 1, $2, piece FROM unnest($3::text[]) WITH ORDINALITY AS piece`,
      [row.document_id, doc.title, pieces],
    );
    return { document_id: row.document_id, chunks: pieces.length, created: true };
  });
}

export async function countDocuments(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM documents");
  return Number(rows[0]?.n ?? 0);
}
