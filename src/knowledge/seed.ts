import type pg from "pg";
import type { Logger } from "../logger.js";
import {
  countDocuments,
  ingestDocument,
  type IngestedDocument,
  type IngestOptions,
} from "./documents.js";
import { listDocumentFiles, readDocumentFile, SAMPLE_KB_DIR } from "./files.js";

export interface IngestProgress {
  file: string;
  index: number;
  total: number;
  result: IngestedDocument;
}

/** Ingests every Markdown and text file under `dir`, reporting each one. */
export async function ingestDirectory(
  pool: pg.Pool,
  dir: string,
  onProgress?: (progress: IngestProgress) => void,
  options: IngestOptions = {},
): Promise<IngestedDocument[]> {
  const files = await listDocumentFiles(dir);
  const results: IngestedDocument[] = [];
  for (const [index, file] of files.entries()) {
    const result = await ingestDocument(pool, await readDocumentFile(dir, file), options);
    results.push(result);
    onProgress?.({ file, index: index + 1, total: files.length, result });
  }
  return results;
}

/** Loads the bundled sample knowledge base when the database has no documents yet. */
export async function seedSampleKnowledgeBase(pool: pg.Pool, logger: Logger): Promise<number> {
  if ((await countDocuments(pool)) > 0) return 0;
  const results = await ingestDirectory(pool, SAMPLE_KB_DIR);
  const chunks = results.reduce((n, r) => n + r.chunks, 0);
  logger.info({ documents: results.length, chunks }, "loaded the sample knowledge base");
  return results.length;
}
