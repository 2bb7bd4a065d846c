/**
 * The CLIs' way to a running server (npm run batch, npm run prompts): JSON calls with the key,
 * retried while the server is unreachable or answers 5xx; a 4xx is the caller's mistake and
 * fails at once with the API's message.
 */

export class ApiCallError extends Error {}

export interface ApiClientOptions {
  api: string;
  key?: string;
  /** Attempts per call when the server is unreachable or answers 5xx. */
  attempts?: number;
}

export class ApiClient {
  constructor(protected readonly options: ApiClientOptions) {}

  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const res = await this.fetchWithRetry(method, path, body, headers);
    return (await res.json()) as T;
  }

  async fetchWithRetry(
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
