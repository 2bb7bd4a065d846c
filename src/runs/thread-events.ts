import { EventEmitter } from "node:events";

/**
 * In-process signals: "a run was enqueued" wakes local workers, "a thread settled" wakes local
 * `?wait=` requests. Only a shortcut: workers and waiters also poll Postgres, so processes that
 * share nothing but the database still see each other's work.
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

  /** A worker here wrote events of this run's stream. */
  runEventsWritten(runId: string): void {
    this.emitter.emit(`run-events:${runId}`);
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
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.emitter.once(event, done);
    });
  }
}
