import { ApiCallError, ApiClient } from "./api-client.js";

/** The few calls `npm run batch` makes to the API, each retried: every one is idempotent. */

export interface BatchProgress {
  batch_id: string;
  total: number;
  counts: Record<"queued" | "running" | "awaiting_review" | "completed" | "failed", number>;
  settled: boolean;
}

export interface Submitted extends BatchProgress {
  submitted: number;
  started: number;
}

export { ApiCallError };

/** A line of the questions file, as sent. */
export interface OutgoingItem {
  id: string;
  question: string;
  metadata?: Record<string, unknown>;
}

export class BatchClient extends ApiClient {
  /** Creates the batch (or finds it by its Idempotency-Key) with its first items. */
  create(
    items: OutgoingItem[],
    settings: { priority?: number; metadata?: Record<string, unknown>; idempotencyKey: string },
  ): Promise<Submitted> {
    return this.call<Submitted>(
      "POST",
      "/batches",
      { questions: items, priority: settings.priority, metadata: settings.metadata },
      { "idempotency-key": settings.idempotencyKey },
    );
  }

  add(batchId: string, items: OutgoingItem[]): Promise<Submitted> {
    return this.call<Submitted>("POST", `/batches/${batchId}/items`, { questions: items });
  }

  progress(batchId: string): Promise<BatchProgress> {
    return this.call<BatchProgress>("GET", `/batches/${batchId}`);
  }

  /** The results stream as it comes (NDJSON text). */
  async results(batchId: string): Promise<ReadableStream<Uint8Array>> {
    const res = await this.fetchWithRetry("GET", `/batches/${batchId}/results`);
    if (!res.body) throw new ApiCallError("the results response has no body");
    return res.body;
  }
}
