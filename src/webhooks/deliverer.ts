import { performance } from "node:perf_hooks";
import type pg from "pg";
import type { Logger } from "../logger.js";
import {
  claimDueEvent,
  recordDelivered,
  recordFailedAttempt,
  type OutboxRow,
} from "../repositories/outbox.js";
import { BackgroundLoop } from "../runs/background-loop.js";
import { eventBody } from "./events.js";
import {
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  USER_AGENT,
  signPayload,
} from "./signature.js";

export interface WebhookDelivererOptions {
  pool: pg.Pool;
  logger: Logger;
  /** Where every event is POSTed. */
  url: string;
  /** HMAC-SHA256 key for the Signoff-Signature header. */
  secret: string;
  /** Attempts per event, the first one included; after the last failure the event is given up. */
  maxAttempts: number;
  /** How long the running loop waits when nothing is due. Default 1000 ms. */
  pollMs?: number;
  /** Per request, response headers and the first bytes of the body included. Default 10 s. */
  timeoutMs?: number;
  /** Events sent per deliverDue() pass, one after the other. Default 20. */
  batchSize?: number;
  fetchImpl?: typeof fetch;
  /** The clock for due-ness, locks, backoff and signature timestamps (tests drive it). */
  now?: () => Date;
  /** Source of jitter in [0, 1). */
  random?: () => number;
}

export interface DeliveryResult {
  /** Answered 2xx and marked delivered. */
  delivered: number;
  /** Failed on their last allowed attempt: failed_at set, never tried again. */
  failed: number;
  /** Failed and scheduled for another attempt. */
  retried: number;
}

type Outcome = keyof DeliveryResult;

const MAX_BACKOFF_SECONDS = 3600;
/** Kept after the request timeout so a slow database write does not let a second sender in. */
const LOCK_MARGIN_MS = 30_000;
const RESPONSE_SNIPPET_CHARS = 300;

/**
 * Seconds before the next attempt once `attempt` attempts have failed: 2^attempt capped at an
 * hour, minus up to 20 % jitter so a receiver coming back is not hit by every retry at once. Below
 * the cap it still grows with every attempt (0.8 · 2^(n+1) > 2^n).
 */
export function backoffSeconds(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_SECONDS, 2 ** attempt);
  return base * (1 - 0.2 * random());
}

/**
 * Sends the outbox to the webhook URL.
 *
 * Delivery is at-least-once. An event is claimed with `FOR UPDATE SKIP LOCKED` plus a short lease
 * (`locked_until`, the request timeout plus a margin), so several deliverers, in this process or
 * others, never send one event at the same moment; it is marked delivered only after a 2xx. If the
 * process dies between the POST and the UPDATE that records it, the lease runs out and the event is
 * sent again with the same id and body: receivers must dedupe on the event id (`Signoff-Event-Id`,
 * also the body's `id`).
 *
 * Due events go out oldest first (by event id). An event that fails waits for its backoff while
 * newer ones are delivered, so receivers should not rely on strict ordering across retries.
 *
 * No database connection is held during a request: each claim and each result is one statement.
 */
export class WebhookDeliverer {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly batchSize: number;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly loop: BackgroundLoop;
  /** Set while stopping, so a batch in flight ends after its current request. */
  private stopRequested = false;

  constructor(private readonly options: WebhookDelivererOptions) {
    this.url = new URL(options.url).toString();
    if (!options.secret) throw new Error("webhook secret is required");
    if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) {
      throw new Error(`maxAttempts must be a positive integer, got ${options.maxAttempts}`);
    }
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.batchSize = Math.max(1, options.batchSize ?? 20);
    // Wrapped so it is never called with the deliverer as `this` (browsers' fetch rejects that).
    const fetchImpl = options.fetchImpl ?? fetch;
    this.fetchImpl = (input, init) => fetchImpl(input, init);
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.log = options.logger.child({ component: "webhooks" });
    this.loop = new BackgroundLoop({
      task: "webhook delivery pass",
      logger: this.log,
      intervalMs: options.pollMs ?? 1000,
      pass: async () => {
        const { delivered, failed, retried } = await this.deliverDue();
        // A full batch: more may be due, so the next pass starts at once.
        return delivered + failed + retried >= this.batchSize ? "busy" : "idle";
      },
    });
  }

  start(): void {
    this.stopRequested = false;
    this.loop.start();
  }

  /** Stops polling; waits for the request in flight (at most the timeout), not the rest of the batch. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    await this.loop.stop();
    this.stopRequested = false;
  }

  /** Claims and sends up to `batchSize` due events, oldest first, one at a time. */
  async deliverDue(): Promise<DeliveryResult> {
    const result: DeliveryResult = { delivered: 0, failed: 0, retried: 0 };
    for (let i = 0; i < this.batchSize && !this.stopRequested; i++) {
      const event = await this.claim();
      if (!event) break;
      result[await this.deliver(event)] += 1;
    }
    return result;
  }

  /** Takes the oldest due event that nobody else holds and leases it to this deliverer. */
  private claim(): Promise<OutboxRow | undefined> {
    const now = this.now();
    const lockedUntil = new Date(now.getTime() + this.timeoutMs + LOCK_MARGIN_MS);
    return claimDueEvent(this.options.pool, now, lockedUntil);
  }

  private async deliver(event: OutboxRow): Promise<Outcome> {
    const attempt = event.attempts + 1;
    const log = this.log.child({ event_id: event.event_id, event_type: event.event_type, attempt });
    const body = eventBody(event);
    const headers = {
      "content-type": "application/json",
      "user-agent": USER_AGENT,
      [EVENT_ID_HEADER]: String(event.event_id),
      [EVENT_TYPE_HEADER]: event.event_type,
      [SIGNATURE_HEADER]: signPayload(
        this.options.secret,
        body,
        Math.floor(this.now().getTime() / 1000),
      ),
    };

    let status: number | null = null;
    let error: string | null = null;
    let snippet = "";
    const started = performance.now();
    try {
      const response = await this.fetchImpl(this.url, {
        method: "POST",
        headers,
        body,
        // A redirect is a misconfiguration: fail it rather than resend the signed body elsewhere.
        redirect: "manual",
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      snippet = await readSnippet(response);
    } catch (cause) {
      error = describeError(cause, this.timeoutMs);
    }
    const durationMs = Math.round(performance.now() - started);

    const attemptRow = {
      event_id: event.event_id,
      url: this.url,
      attempt,
      status_code: status,
      duration_ms: durationMs,
    };
    if (status !== null && status >= 200 && status < 300) {
      await recordDelivered(this.options.pool, attemptRow, this.now());
      log.info({ status, ms: durationMs }, "webhook delivered");
      return "delivered";
    }

    const lastError = error ?? `HTTP ${status}${snippet ? `: ${snippet}` : ""}`;
    const now = this.now();
    const nextAttemptAt = new Date(now.getTime() + backoffSeconds(attempt, this.random) * 1000);
    const recorded = await recordFailedAttempt(
      this.options.pool,
      { ...attemptRow, error },
      {
        lastError,
        maxAttempts: this.options.maxAttempts,
        now,
        nextAttemptAt,
        lockedUntil: event.locked_until,
      },
    );
    if (recorded?.gave_up) {
      log.error(
        { status, error: lastError, ms: durationMs },
        "webhook failed for good; giving up on this event",
      );
      return "failed";
    }
    log.warn(
      { status, error: lastError, ms: durationMs, next_attempt_at: nextAttemptAt.toISOString() },
      "webhook attempt failed; will retry",
    );
    return "retried";
  }
}

/** The start of the response body, for the operator's last_error; drains small bodies. */
async function readSnippet(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length < RESPONSE_SNIPPET_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // The status is what counts; a body cut short changes nothing.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text.slice(0, RESPONSE_SNIPPET_CHARS).trim();
}

function describeError(error: unknown, timeoutMs: number): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return `timeout after ${timeoutMs} ms`;
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail =
    typeof cause?.code === "string"
      ? cause.code
      : typeof cause?.message === "string"
        ? cause.message
        : "";
  return detail ? `${error.message}: ${detail}` : error.message;
}
