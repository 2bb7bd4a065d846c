import { isDatabaseUnavailable } from "../db/errors.js";
import type { Logger } from "../logger.js";

/** What one pass found, which sets how long the loop waits before the next one. */
export type PassResult =
  /** Work was done and more may be waiting: the next pass starts at once. */
  | "busy"
  /** The pass ran and found nothing to do: wait the interval. */
  | "idle"
  /** The pass could not start (no capacity): wait the interval; a streak of failures goes on. */
  | "deferred";

/** How a loop waits between passes: `ms` at most, less when something wakes it. */
export interface Pause {
  wait(ms: number): Promise<void>;
  /** Cuts the current wait short (more work arrived, or the loop is stopping). */
  wake(): void;
}

/** The default pause: a timer that never keeps the process alive on its own account. */
export class TimerPause implements Pause {
  private cutShort: (() => void) | undefined;

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.cutShort === done) this.cutShort = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.cutShort = done;
    });
  }

  wake(): void {
    this.cutShort?.();
  }
}

export interface BackgroundLoopOptions {
  /** Names the job in log lines: "review sweep" logs "review sweep failed". */
  task: string;
  logger: Logger;
  /** One pass; a rejection counts as a failure and backs the loop off. */
  pass: () => Promise<PassResult>;
  /** The wait after an idle pass, and the first step of the backoff. */
  intervalMs: number;
  /** "wait" waits one interval before the first pass, as a timer would. Default "pass". */
  startWith?: "pass" | "wait";
  pause?: Pause;
}

const MAX_BACKOFF_MS = 15_000;

/**
 * Waits after the `failures`-th failure in a row: the interval, then doubling (0.5 s, 1 s, 2 s …
 * for 500 ms) up to 15 s, or the interval itself when that is longer, so an outage neither spins
 * nor makes a slow loop run more often than it would anyway.
 */
export function backoffMs(intervalMs: number, failures: number): number {
  const cap = Math.max(MAX_BACKOFF_MS, intervalMs);
  return Math.min(cap, intervalMs * 2 ** Math.min(failures - 1, 5));
}

/**
 * The loop behind the worker, the review sweeper and the webhook deliverer: passes one after the
 * other (never two at once), a wait between them, backoff while passes fail (usually the database
 * is away), and the failure logged the first time and every tenth, so an outage does not flood the
 * log. It can be stopped and started again; stop() waits for the pass in flight.
 */
export class BackgroundLoop {
  private active = false;
  private generation = 0;
  private loop: Promise<void> | undefined;
  private readonly pause: Pause;

  constructor(private readonly options: BackgroundLoopOptions) {
    this.pause = options.pause ?? new TimerPause();
  }

  /** False from the moment stop() is called: a pass in flight may check it and hand work back. */
  get running(): boolean {
    return this.active;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    const generation = ++this.generation;
    // A loop restarted while the old one finishes its pass starts after it, never beside it.
    this.loop = (this.loop ?? Promise.resolve()).then(() => this.run(generation));
  }

  async stop(): Promise<void> {
    this.active = false;
    this.pause.wake();
    await this.loop;
  }

  private live(generation: number): boolean {
    return this.active && this.generation === generation;
  }

  private async run(generation: number): Promise<void> {
    const { intervalMs, logger, task } = this.options;
    // Checked first: a stop() before this loop got going has no wait to cut short.
    if (this.options.startWith === "wait" && this.live(generation)) {
      await this.pause.wait(intervalMs);
    }
    let failures = 0;
    while (this.live(generation)) {
      let waitMs: number | undefined = intervalMs;
      try {
        const result = await this.options.pass();
        if (result !== "deferred") {
          if (failures > 0) logger.info({ task, failures }, `${task} works again`);
          failures = 0;
        }
        if (result === "busy") waitMs = undefined;
      } catch (error) {
        failures++;
        waitMs = backoffMs(intervalMs, failures);
        if (failures === 1 || failures % 10 === 0) {
          logger.error(
            { err: error, task, failures, retry_in_ms: waitMs },
            isDatabaseUnavailable(error) ? "database unavailable; backing off" : `${task} failed`,
          );
        }
      }
      if (waitMs !== undefined && this.live(generation)) await this.pause.wait(waitMs);
    }
  }
}
