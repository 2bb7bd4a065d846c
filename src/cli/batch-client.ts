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

export class ApiCallError extends Error {}

export interface BatchClientOptions {
  api: string;
  key?: string;
  /** Attempts per call when the server is unreachable or answers 5xx. */
  attempts?: number;
}

/** A line of the questions file, as sent. */
export interface OutgoingItem {
  id: string;
  question: string;
  metadata?: Record<string, unknown>;
}

export class BatchClient {
  constructor(private readonly options: BatchClientOptions) {}

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

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const res = await this.fetchWithRetry(method, path, body, headers);
    return (await res.json()) as T;
  }

  private async fetchWithRetry(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const attempts = this.options.attempts ?? 6;
    for (let attempt = 1; ; attempt++) {
      let res: Response | undefined;
      let failure: string;
      try {
        res = await fetch(new URL(path, this.options.api), {
          method,
          headers: {
            ...(body === undefined ? {} : { "content-type": "application/json" }),
            ...(this.options.key ? { authorization: `Bearer ${this.options.key}` } : {}),
            ...headers,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        if (res.ok) return res;
        const text = await res.text();
        failure = `${method} ${path}: ${res.status} ${describeError(text)}`;
        // The client's mistake: asking again changes nothing.
        if (res.status < 500) throw new ApiCallError(failure);
      } catch (error) {
        if (error instanceof ApiCallError) throw error;
        failure = `${method} ${path}: ${(error as Error).message}`;
      }
      if (attempt >= attempts) throw new ApiCallError(`${failure} (after ${attempts} attempts)`);
      await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** (attempt - 1))));
    }
  }
}

/** The API's `{error: {message, details}}` in one line, or the raw text. */
function describeError(text: string): string {
  try {
    const { error } = JSON.parse(text) as { error: { message: string; details?: unknown } };
    return error.details ? `${error.message} ${JSON.stringify(error.details)}` : error.message;
  } catch {
    return text.slice(0, 500);
  }
}
