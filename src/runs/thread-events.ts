import { EventEmitter } from "node:events";

/** Wakes every waiter at once: signals may have been missed (the listener was disconnected). */
const RESYNC = "resync";

/**
 * Process-wide signals: "a run was enqueued" wakes workers, "a thread settled" wakes `?wait=`
 * requests, "run events were written" wakes streams. Raised by this process's own work and, on
 * a real Postgres, by the notification listener (src/db/notifications.ts) for other processes'
 * work. Only a shortcut: workers and waiters also poll Postgres, so a signal lost with a dropped
 * connection costs a poll interval, never correctness.
 */
export class RunSignals {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  runEnqueued(): void {
    this.emitter.emit("run");
  }

  threadSettled(threadId: string): void {
    this.emitter.emit(`thread:${threadId}`);
  }

  /** Events of this run's stream were written, or the run ended. */
  runEventsWritten(runId: string): void {
    this.emitter.emit(`run-events:${runId}`);
  }

  /** A client cancelled this run: a worker here executing it stops (src/runs/worker.ts). */
  runCancelled(runId: string): void {
    this.emitter.emit("run-cancelled", runId);
  }

  /** Calls `listener` with each cancelled run's id until the returned function is called. */
  onRunCancelled(listener: (runId: string) => void): () => void {
    this.emitter.on("run-cancelled", listener);
    return () => this.emitter.off("run-cancelled", listener);
  }

  /** Gate thresholds were approved here or in another process: cached ones are stale. */
  thresholdsChanged(): void {
    this.emitter.emit("thresholds");
  }

  /**
   * Calls `listener` when the thresholds changed, and at a resync (a change may have been missed),
   * until the returned function is called.
   */
  onThresholdsChanged(listener: () => void): () => void {
    this.emitter.on("thresholds", listener);
    this.emitter.on(RESYNC, listener);
    return () => {
      this.emitter.off("thresholds", listener);
      this.emitter.off(RESYNC, listener);
    };
  }

  /** Wakes every waiter and worker to look again (after a gap in cross-process signals). */
  resync(): void {
    this.emitter.emit(RESYNC);
  }

  nextRunEvents(runId: string, ms: number): Promise<void> {
    return this.waitFor(`run-events:${runId}`, ms);
  }

  /** Resolves on the next enqueue signal or after `ms`, whichever comes first. */
  nextRun(ms: number): Promise<void> {
    return this.waitFor("run", ms);
  }

  nextThreadChange(threadId: string, ms: number): Promise<void> {
    return this.waitFor(`thread:${threadId}`, ms);
  }

  private waitFor(event: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.emitter.off(event, done);
        this.emitter.off(RESYNC, done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.emitter.once(event, done);
      this.emitter.once(RESYNC, done);
    });
  }
}
