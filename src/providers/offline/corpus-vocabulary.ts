import type { Queryable } from "../../db/database.js";

/** How many chunks of the knowledge base mention each word (for "is this subject covered?"). */
export interface CorpusVocabulary {
  /**
   * Chunks mentioning each word, by the knowledge base's own full-text stemming. Words the
   * full-text parser keeps nothing of (its stop words) are left out of the map.
   */
  chunkFrequency(words: string[]): Promise<Map<string, number>>;
}

const FREQUENCY_SQL = `
SELECT w AS word, (SELECT count(*) FROM chunks c WHERE c.tsv @@ plainto_tsquery('english', w))::int AS chunks
FROM unnest($1::text[]) AS w
WHERE numnode(plainto_tsquery('english', w)) > 0`;

/** The vocabulary of the chunks table, through its GIN-indexed tsvector: one statement a call. */
export class PostgresVocabulary implements CorpusVocabulary {
  constructor(private readonly db: Queryable) {}

  async chunkFrequency(words: string[]): Promise<Map<string, number>> {
    const unique = [...new Set(words)];
    if (unique.length === 0) return new Map();
    const { rows } = await this.db.query<{ word: string; chunks: number }>(FREQUENCY_SQL, [unique]);
    return new Map(rows.map((r) => [r.word, Number(r.chunks)]));
  }
}
