/** The review page's calls to the JSON API, answered as one result type (never a rejection). */
import type { ErrorBody } from "../../api/errors.js";

export type ApiResult<T> =
  | { ok: true; status: number; body: T }
  /** status 0: the server could not be reached. */
  | { ok: false; status: number; body: Partial<ErrorBody> | null };

export type ApiFailure = Extract<ApiResult<unknown>, { ok: false }>;

export async function post<T>(path: string, body?: unknown): Promise<ApiResult<T>> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers:
        body === undefined
          ? { accept: "application/json" }
          : { "content-type": "application/json", accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    text = await res.text();
  } catch {
    return { ok: false, status: 0, body: null };
  }
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return res.ok
    ? { ok: true, status: res.status, body: json as T }
    : { ok: false, status: res.status, body: json as Partial<ErrorBody> | null };
}

/** The error code of a refusal, "" when there is none. */
export function errorCode(res: ApiFailure): string {
  return res.body?.error?.code ?? "";
}
