import type { Queryable } from "../../db/database.js";
import type { Passage, RetrievalResult, Retriever } from "../types.js";

interface PassageRow {
  chunk_id: string;
  document_id: string;
  title: string;
  text: string;
  score: number | string | null;
  document_version: number | null;
}

/**
 * Postgres full-text retrieval. Candidates are chunks that share any stemmed term with the
 * question (an OR tsquery over the GIN index). Each candidate is scored by the IDF-weighted share
 * of the question's terms it contains: sum of idf(t) over the question terms in the chunk divided
 * by the sum over all question terms, where idf(t) = ln(1 + N / (1 + df(t))) over N chunks. A term
 * the knowledge base has never seen keeps its full weight, so a question about something the
 * knowledge base does not cover scores low even when its common words match. Only live chunks
 * (approved versions, see src/knowledge/curation.ts) are counted or found: `live` is the
 * predicate of the partial GIN index.
 */
const RETRIEVE_SQL = `
WITH q AS (
  SELECT DISTINCT lexeme FROM unnest(tsvector_to_array(to_tsvector('english', $1))) AS lexeme
),
n AS (SELECT count(*)::float8 AS n FROM chunks WHERE live),
w AS (
  SELECT q.lexeme,
         to_tsquery('simple', quote_literal(q.lexeme)) AS tsq,
         ln(1 + n.n / (1 + (SELECT count(*) FROM chunks c
                             WHERE c.live AND c.tsv @@ to_tsquery('simple', quote_literal(q.lexeme))))) AS idf
  FROM q, n
),
total AS (SELECT sum(idf) AS idf FROM w),
candidates AS (
  SELECT c.chunk_id, c.document_id, c.title, c.ordinal, c.text, c.tsv
  FROM chunks c
  WHERE c.live AND c.tsv @@ (SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery FROM q)
)
SELECT c.chunk_id, c.document_id, c.title, c.text,
       round(((SELECT coalesce(sum(w.idf), 0) FROM w WHERE c.tsv @@ w.tsq) / total.idf)::numeric, 4)
         AS score,
       (SELECT d.version FROM documents d WHERE d.document_id = c.document_id) AS document_version
FROM candidates c, total
ORDER BY score DESC, ts_rank_cd(c.tsv, (SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery FROM q)) DESC,
         -- Ties broken by content, not by the random chunk ids, so every database agrees.
         c.title, c.ordinal, c.chunk_id
LIMIT $2`;

export class PostgresRetriever implements Retriever {
  constructor(private readonly db: Queryable) {}

  async retrieve(query: string, topK: number): Promise<RetrievalResult> {
    const { rows } = await this.db.query<PassageRow>(RETRIEVE_SQL, [query, topK]);
    const passages = rows.map(toPassage);
    return { passages, score: passages[0]?.score ?? 0 };
  }

  async getPassages(chunkIds: string[]): Promise<Passage[]> {
    if (chunkIds.length === 0) return [];
    const { rows } = await this.db.query<PassageRow>(
      `SELECT c.chunk_id, c.document_id, c.title, c.text, NULL AS score, d.version AS document_version
       FROM chunks c JOIN documents d USING (document_id) WHERE c.chunk_id = ANY($1::uuid[])`,
      [chunkIds],
    );
    const byId = new Map(rows.map((r) => [r.chunk_id, toPassage(r)]));
    return chunkIds.flatMap((id) => byId.get(id) ?? []);
  }
}

function toPassage(row: PassageRow): Passage {
  return {
    chunk_id: row.chunk_id,
    document_id: row.document_id,
    title: row.title,
    text: row.text,
    score: row.score === null ? 1 : Number(row.score),
    ...(row.document_version === null ? {} : { document_version: row.document_version }),
  };
}
