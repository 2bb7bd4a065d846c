import { createHash } from "node:crypto";
import type { ExportedExample } from "./export-example.js";

/**
 * Uploads exported examples to a LangSmith dataset with the `langsmith` package's `Client`.
 *
 * Each example gets an id derived from the dataset and the question (`exampleIdFor`), so running
 * the upload again updates the examples already there (a new reference, label or split) instead
 * of adding copies: ids the dataset has are updated, the others created, in batches.
 */

/** One example as LangSmith's createExamples and updateExamples take it. */
export type ExampleUpload = {
  id: string;
  dataset_id: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  metadata: Record<string, unknown>;
  split: string;
};

/** What the upload uses of `langsmith`'s Client (a stand-in in tests). */
export interface LangSmithDatasetClient {
  hasDataset(args: { datasetName: string }): Promise<boolean>;
  readDataset(args: { datasetName: string }): Promise<{ id: string; name: string }>;
  createDataset(
    name: string,
    options?: { description?: string; metadata?: Record<string, unknown> },
  ): Promise<{ id: string; name: string }>;
  listExamples(args: { datasetId: string }): AsyncIterable<{ id: string }>;
  createExamples(uploads: ExampleUpload[]): Promise<unknown>;
  updateExamples(updates: ExampleUpload[]): Promise<unknown>;
}

export interface UploadOptions {
  datasetName: string;
  /** LANGSMITH_API_KEY; required unless `client` is given. */
  apiKey?: string;
  /** LANGSMITH_ENDPOINT; the client's default (api.smith.langchain.com) when unset. */
  apiUrl?: string;
  /** Examples per request (default 100). */
  batchSize?: number;
  client?: LangSmithDatasetClient;
  onProgress?: (progress: { done: number; total: number }) => void;
}

export interface UploadResult {
  dataset_id: string;
  dataset_created: boolean;
  created: number;
  updated: number;
}

export class LangSmithConfigError extends Error {}

/** A UUID (version 8, name-based) from SHA-256 of the dataset id and the question hash. */
export function exampleIdFor(datasetId: string, example: ExportedExample): string {
  const bytes = createHash("sha256")
    .update(`signoff:${datasetId}:${example.metadata.question_hash}`)
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function defaultClient(
  apiKey: string | undefined,
  apiUrl: string | undefined,
): Promise<LangSmithDatasetClient> {
  if (!apiKey) {
    throw new LangSmithConfigError(
      "uploading to LangSmith needs LANGSMITH_API_KEY (and LANGSMITH_ENDPOINT for a self-hosted or EU instance)",
    );
  }
  const { Client } = await import("langsmith");
  return new Client({ apiKey, ...(apiUrl ? { apiUrl } : {}) });
}

export async function uploadToLangSmith(
  examples: ExportedExample[],
  options: UploadOptions,
): Promise<UploadResult> {
  const client = options.client ?? (await defaultClient(options.apiKey, options.apiUrl));
  const batchSize = options.batchSize ?? 100;
  const name = options.datasetName;
  const exists = await client.hasDataset({ datasetName: name });
  const dataset = exists
    ? await client.readDataset({ datasetName: name })
    : await client.createDataset(name, {
        description:
          "Human-reviewed question answering examples exported by signoff (npm run evals:export)",
        metadata: { source: "signoff" },
      });
  const existing = new Set<string>();
  if (exists)
    for await (const example of client.listExamples({ datasetId: dataset.id }))
      existing.add(example.id);

  const rows = examples.map((e) => ({
    id: exampleIdFor(dataset.id, e),
    dataset_id: dataset.id,
    inputs: e.inputs,
    outputs: e.outputs,
    metadata: { ...e.metadata },
    split: e.metadata.split,
  }));
  const toCreate = rows.filter((r) => !existing.has(r.id));
  const toUpdate = rows.filter((r) => existing.has(r.id));
  let done = 0;
  for (let i = 0; i < toCreate.length; i += batchSize) {
    const batch = toCreate.slice(i, i + batchSize);
    await client.createExamples(batch);
    options.onProgress?.({ done: (done += batch.length), total: rows.length });
  }
  for (let i = 0; i < toUpdate.length; i += batchSize) {
    const batch = toUpdate.slice(i, i + batchSize);
    await client.updateExamples(batch);
    options.onProgress?.({ done: (done += batch.length), total: rows.length });
  }
  return {
    dataset_id: dataset.id,
    dataset_created: !exists,
    created: toCreate.length,
    updated: toUpdate.length,
  };
}
