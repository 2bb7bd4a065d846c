import { EventEmitter } from "node:events";

/** Wakes every waiter at once: signals may have been missed (the listener was disconnected). */
const RESYNC = "resync";

/** Between looks while every change is signalled: only a safety net against a missed signal. */
const SIGNALLED_POLL_MS = 2_000;
/** Between looks while other processes' changes reach this one by polling only. */
const UNSIGNALLED_POLL_MS = 250;

/** Signals of one kind, from the moment it was made: see `RunSignals.watchThread`. */
export interface SignalWatch {
  /** Resolves at the next signal (or at once, for one since the last call), or after `ms`. */
  next(ms: number): Promise<void>;
  /** Stops listening (and releases a pending `next`). */
  close(): void;
}

/**
 * Process-wide signals: "a run was enqueued" wakes workers, "a thread settled" wakes `?wait=`
 * requests, "run events were written" wakes streams. Raised by this process's own work and, on
 * a real Postgres, by the notification listener (src/db/notifications.ts) for other processes'
 * work. Only a shortcut: workers and waiters also poll Postgres, so a signal lost with a dropped
 * connection costs a poll interval, never correctness.
 */
export class RunSignals {
  private readonly emitter = new EventEmitter();
  private complete: boolean;
  private epochs = 0;

  /**
   * @param coversAllProcesses true where no other process can change the database (embedded
   *   PGlite); on Postgres the notification listener says so while it is connected.
   */
  constructor(options: { coversAllProcesses?: boolean } = {}) {
    this.emitter.setMaxListeners(0);
    this.complete = options.coversAllProcesses ?? false;
  }

  /** The listener connected (true) or lost its connection (false): waiters look again at once. */
  setCoversAllProcesses(covers: boolean): void {
    if (covers === this.complete) return;
    this.complete = covers;
    this.resync();
  }

  /** Whether every change in the database is signalled here right now. */
  get coversAllProcesses(): boolean {
    return this.complete;
  }

  /**
   * Counts the moments signals may have been missed (coverage changed, or a resync): what was
   * learnt by looking at an earlier epoch may be stale now.
   */
  get epoch(): number {
    return this.epochs;
  }

  /** An API key was made, here or (by notification) in another process. */
  keyCreated(): void {
    this.emitter.emit("key-created");
  }

  onKeyCreated(listener: () => void): () => void {
    this.emitter.on("key-created", listener);
    return () => this.emitter.off("key-created", listener);
  }

  /**
   * How long a waiter may sleep between looks: long while every change is signalled (a safety
   * net only), short while other processes' changes are seen by polling alone.
   */
  get pollMs(): number {
    return this.complete ? SIGNALLED_POLL_MS : UNSIGNALLED_POLL_MS;
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
    return this.onChangeOrResync("thresholds", listener);
  }

  /** A prompt template version was approved here or in another process. */
  promptsChanged(): void {
    this.emitter.emit("prompts");
  }

  /** Like onThresholdsChanged, for the prompt templates. */
  onPromptsChanged(listener: () => void): () => void {
    return this.onChangeOrResync("prompts", listener);
  }

  private onChangeOrResync(event: string, listener: () => void): () => void {
    this.emitter.on(event, listener);
    this.emitter.on(RESYNC, listener);
    return () => {
      this.emitter.off(event, listener);
      this.emitter.off(RESYNC, listener);
    };
  }

  /** Wakes every waiter and worker to look again (after a gap in cross-process signals). */
  resync(): void {
    this.epochs++;
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

  /**
   * Starts listening for the thread's changes now, before the caller looks at it: a change
   * signalled between that look and the wait is kept, not lost (`next` returns at once).
   */
  watchThread(threadId: string): SignalWatch {
    return this.watch(`thread:${threadId}`);
  }

  private watch(event: string): SignalWatch {
    let signalled = false;
    let wake: (() => void) | undefined;
    const raise = (): void => {
      signalled = true;
      wake?.();
    };
    this.emitter.on(event, raise);
    this.emitter.on(RESYNC, raise);
    return {
      next: (ms) =>
        new Promise<void>((resolve) => {
          if (signalled) {
            signalled = false;
            resolve();
            return;
          }
          const timer = setTimeout(() => wake?.(), ms);
          wake = () => {
            clearTimeout(timer);
            wake = undefined;
            signalled = false;
            resolve();
          };
        }),
      close: () => {
        this.emitter.off(event, raise);
        this.emitter.off(RESYNC, raise);
        wake?.();
      },
    };
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
