import { randomUUID } from "node:crypto";
import type pg from "pg";
import { z } from "zod";
import type { Logger } from "../logger.js";
import { setThreadStatus } from "../repositories/threads.js";
import {
  claimRun,
  failRun,
  LANES,
  leaseOf,
  releaseCancelledRun,
  renewLease,
  type RunRow,
} from "../repositories/runs.js";
import { withTransaction } from "../db/database.js";
import { isDatabaseUnavailable } from "../db/errors.js";
import { appendRunEvent } from "../repositories/run-events.js";
import { toWireJson } from "../protocol/wire-json.js";
import { BackgroundLoop, type PassResult } from "./background-loop.js";
import { LeaseLostError } from "./executor.js";
import type { HeldSlot, LocalWorker } from "./held-slot.js";
import type { RunSignals } from "./thread-events.js";

export interface WorkerOptions {
  pool: pg.Pool;
  logger: Logger;
  signals: RunSignals;
  /** Executes one run; resolves when the thread paused or finished. */
  execute: (run: RunRow, signal: AbortSignal) => Promise<string>;
  concurrency: number;
  /**
   * How many of the `concurrency` slots batch runs may hold at once (default: all but one), so
   * an interactive run finds a free slot however large a batch is queued.
   */
  batchConcurrency?: number;
  leaseSeconds: number;
  /** How long an idle worker waits before it looks at the queue again. */
  pollMs?: number;
  workerId?: string;
}

/** Errors a retry cannot fix: the run fails at once instead of being tried again. */
function isPermanent(error: unknown): boolean {
  return error instanceof z.ZodError;
}

/**
 * Takes runs from the Postgres queue and executes them, up to `concurrency` at a time. While a
 * run executes its lease is renewed; if this process dies the lease runs out and any worker, in
 * this process or another, takes the run again.
 */
export class Worker implements LocalWorker {
  readonly id: string;
  private readonly active = new Map<string, AbortController>();
  /** Slots held by enqueuing transactions (holdSlot), counted as taken. */
  private held = 0;
  /** The runs in `active` that are batch runs. */
  private readonly activeBatch = new Set<string>();
  private readonly batchSlots: number;
  private readonly loop: BackgroundLoop;

  constructor(private readonly options: WorkerOptions) {
    this.id = options.workerId ?? `worker-${randomUUID().slice(0, 8)}`;
    this.batchSlots = Math.min(
      options.concurrency,
      options.batchConcurrency ?? Math.max(1, options.concurrency - 1),
    );
    const { signals } = options;
    this.loop = new BackgroundLoop({
      task: "run claim",
      logger: options.logger.child({ worker: this.id }),
      pass: () => this.claimNext(),
      intervalMs: options.pollMs ?? 500,
      // An enqueue wakes the worker at once: this process's directly, another's through the
      // notification listener (Postgres); polling covers delayed retries and a lost listener.
      pause: { wait: (ms) => signals.nextRun(ms), wake: () => signals.runEnqueued() },
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Stops taking runs and waits for the ones in flight to finish. */
  async stop(): Promise<void> {
    await this.loop.stop();
    while (this.active.size > 0) await new Promise((r) => setTimeout(r, 20));
  }

  /**
   * Stops as if the process had died: no more heartbeats, nothing written for runs in flight.
   * Their leases run out and another worker takes them over. For tests and drills.
   */
  async crash(): Promise<void> {
    const stopped = this.loop.stop();
    for (const controller of this.active.values()) controller.abort(new Error("worker crashed"));
    this.active.clear();
    this.activeBatch.clear();
    await stopped;
  }

  get inFlight(): number {
    return this.active.size;
  }

  holdSlot(): HeldSlot | undefined {
    if (!this.loop.running || this.active.size + this.held >= this.options.concurrency) {
      return undefined;
    }
    this.held++;
    let settled = false;
    return {
      claim: { worker_id: this.id, lease_seconds: this.options.leaseSeconds },
      settle: (run) => {
        if (settled) return;
        settled = true;
        this.held--;
        if (run?.status === "running" && run.worker_id === this.id) this.adopt(run);
      },
    };
  }

  /** Runs a run claimed for this worker by an enqueue; stopped meanwhile, hands it back. */
  private adopt(run: RunRow): void {
    if (this.loop.running) return this.spawn(run);
    void failRun(this.options.pool, leaseOf(run), "worker stopped", 0).catch(() => undefined);
  }

  /** Takes one run if there is room for it; the loop backs off while the queue is unreachable. */
  private async claimNext(): Promise<PassResult> {
    if (this.active.size + this.held >= this.options.concurrency) return "deferred";
    const run = await claimRun(this.options.pool, this.id, this.options.leaseSeconds, {
      interactiveOnly: this.activeBatch.size >= this.batchSlots,
    });
    if (!run) return "idle";
    if (!this.loop.running) {
      // Stopped while claiming: hand the run straight back.
      await failRun(this.options.pool, leaseOf(run), "worker stopped", 0).catch(() => undefined);
      return "idle";
    }
    this.spawn(run);
    return "busy";
  }

  private spawn(run: RunRow): void {
    const controller = new AbortController();
    this.active.set(run.run_id, controller);
    if (run.lane === LANES.batch) this.activeBatch.add(run.run_id);
    const log = this.options.logger.child({
      run_id: run.run_id,
      thread_id: run.thread_id,
      worker: this.id,
    });
    const leaseMs = this.options.leaseSeconds * 1000;
    let renewedAt = Date.now();
    const loseLease = (why: string): void => {
      if (controller.signal.aborted) return;
      log.warn(why);
      controller.abort(new Error("lease lost"));
    };
    const heartbeat = setInterval(() => {
      // Without a renewal for a whole lease, another worker may own the run: stop, write nothing.
      if (Date.now() - renewedAt > leaseMs)
        return loseLease("lease not renewed in time; giving the run up");
      renewLease(this.options.pool, leaseOf(run), this.options.leaseSeconds)
        .then((owned) => {
          if (owned) renewedAt = Date.now();
          else loseLease("lease lost; another worker owns this run now");
        })
        .catch((err: unknown) => log.warn({ err }, "lease renewal failed"));
    }, leaseMs / 3);
    heartbeat.unref();
    // A client cancelled it here: stop now (elsewhere, the next heartbeat finds the lease gone).
    let cancelled = false;
    const stopListening = this.options.signals.onRunCancelled((runId) => {
      if (runId !== run.run_id || controller.signal.aborted) return;
      cancelled = true;
      log.info("run cancelled; stopping it");
      controller.abort(new Error("cancelled"));
    });

    const started = Date.now();
    void (async () => {
      try {
        if (run.attempts > run.max_attempts) {
          throw Object.assign(
            new Error(`gave up after ${run.max_attempts} attempts: ${run.error ?? ""}`),
            {
              permanent: true,
            },
          );
        }
        const outcome = await this.options.execute(run, controller.signal);
        log.info(
          { kind: run.kind, outcome, attempt: run.attempts, ms: Date.now() - started },
          "run finished",
        );
      } catch (error) {
        // Crashed or lost the lease: write nothing, the new holder carries on.
        if (controller.signal.aborted || error instanceof LeaseLostError) return;
        await this.handleFailure(run, error, log);
      } finally {
        clearInterval(heartbeat);
        stopListening();
        if (cancelled) {
          await releaseCancelledRun(this.options.pool, leaseOf(run)).catch((err: unknown) =>
            log.warn({ err }, "could not release a cancelled run's lease; it runs out by itself"),
          );
          this.options.signals.runEnqueued();
        }
        if (this.active.get(run.run_id) === controller) {
          const wasFull =
            this.active.size >= this.options.concurrency || this.activeBatch.has(run.run_id);
          this.active.delete(run.run_id);
          this.activeBatch.delete(run.run_id);
          // A slot came free: take the next queued run now rather than at the next poll.
          if (wasFull) this.options.signals.runEnqueued();
        }
        this.options.signals.threadSettled(run.thread_id);
        this.options.signals.runEventsWritten(run.run_id);
      }
    })();
  }

  private async handleFailure(run: RunRow, error: unknown, log: Logger): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    // The database going away is not the run's fault: it is retried soon and the attempt is
    // given back, so an outage cannot use up a run's attempts and fail it for good.
    const outage = isDatabaseUnavailable(error);
    const permanent =
      !outage &&
      (isPermanent(error) ||
        (error as { permanent?: boolean })?.permanent === true ||
        run.attempts >= run.max_attempts);
    // Exponential backoff: 1 s, 2 s, 4 s … capped at a minute.
    const retryIn = permanent ? null : outage ? 1 : Math.min(60, 2 ** (run.attempts - 1));
    log[outage ? "warn" : "error"](
      { err: error, attempt: run.attempts, retry_in_s: retryIn },
      outage ? "run cut off by a database outage; retrying" : "run failed",
    );
    try {
      await withTransaction(this.options.pool, async (tx) => {
        const failed = await failRun(tx, leaseOf(run), message, retryIn, { refundAttempt: outage });
        if (!failed) return; // not ours any more
        await setThreadStatus(tx, run.thread_id, permanent ? "failed" : "queued", {
          error: message,
        });
        // A streamed run's client learns why its stream ends (a retry streams again instead).
        if (permanent && run.stream_modes) {
          const name = error instanceof Error ? error.name : "Error";
          await appendRunEvent(tx, run.run_id, {
            event: "error",
            data: toWireJson({ error: name, message }),
          });
        }
      });
    } catch (dbError) {
      log.error({ err: dbError }, "could not record the run's failure; its lease will expire");
    }
  }
}
