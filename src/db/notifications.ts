import pg from "pg";
import type { Logger } from "../logger.js";
import type { RunSignals } from "../runs/thread-events.js";

/**
 * The channels the repositories notify on, in the transaction that makes the change visible
 * (NOTIFY is delivered on commit, and not at all on rollback). Each payload is an id.
 */
export const CHANNELS = {
  /** A run was enqueued (payload: run id): wakes workers. */
  runs: "signoff_runs",
  /** A thread's run ended, so the thread may have settled (payload: thread id): wakes `?wait=`. */
  threads: "signoff_threads",
  /** A run's stream got events, or the run ended (payload: run id): wakes stream readers. */
  runEvents: "signoff_run_events",
  /** An API key was made (by a trigger, migration 0015; no payload): ends open mode. */
  keys: "signoff_keys",
  /** Gate thresholds were approved (payload: version id): the next run reads them again. */
  thresholds: "signoff_thresholds",
  /** A prompt template version was approved (payload: version id): the next run reads them again. */
  prompts: "signoff_prompts",
} as const;

/** How the listener shows up in pg_stat_activity (operators, and tests, find it by it). */
export const LISTENER_APPLICATION_NAME = "signoff-notifications";

const LISTEN_SQL = Object.values(CHANNELS)
  .map((channel) => `LISTEN ${channel}`)
  .join("; ");

export interface NotificationListenerOptions {
  /** Where to connect: the pool's own settings (see `listenerConnection`). */
  connection: pg.ClientConfig;
  signals: RunSignals;
  logger: Logger;
  /** How often the idle connection is checked, so a silently dead one is noticed. */
  pingMs?: number;
  /** How long a check may take before the connection counts as dead. */
  pingTimeoutMs?: number;
  /** The first reconnect delay; it doubles per failed attempt up to `maxRetryMs`. */
  minRetryMs?: number;
  maxRetryMs?: number;
}

/**
 * The pool's connection settings for the listener's own connection. The pool hides the password
 * from enumeration (so it stays out of logs), so it is copied by name.
 */
export function listenerConnection(pool: pg.Pool): pg.ClientConfig {
  const { password, ...rest } = pool.options;
  return { ...rest, password, application_name: LISTENER_APPLICATION_NAME, keepAlive: true };
}

/**
 * One dedicated connection per process that LISTENs on CHANNELS and raises each notification as
 * the matching RunSignals signal, so waiters in this process wake as soon as another process
 * commits. Not from the pool: a LISTEN lives as long as its session, and a pooled client goes
 * back to the pool between statements.
 *
 * Faults are normal: when the connection drops or the server refuses it, a warning is logged,
 * waiters keep polling, and it reconnects by itself with backoff. Each (re)connection ends with
 * a resync, since notifications sent while it was away are lost.
 */
export class NotificationListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private attempt: Promise<void> | undefined;
  /** Successful connections so far (the first one included). */
  connections = 0;

  constructor(private readonly options: NotificationListenerOptions) {}

  /** Whether notifications arrive right now (otherwise waiters rely on polling alone). */
  get connected(): boolean {
    return this.client !== undefined;
  }

  /**
   * Connects and LISTENs before returning, so nothing started after it misses a notification.
   * A failure is logged and retried in the background: it never rejects.
   */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connectOnce();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    await this.attempt;
    const client = this.client;
    this.client = undefined;
    this.options.signals.setCoversAllProcesses(false);
    await client?.end().catch(() => undefined);
  }

  private connectOnce(): Promise<void> {
    this.attempt ??= this.connect()
      // Nothing in connect() should throw; if something does, it is one more failed attempt.
      .catch((error: unknown) => this.retry(error))
      .finally(() => (this.attempt = undefined));
    return this.attempt;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.options.connection);
    let gone = false;
    const lose = (error?: unknown): void => {
      if (gone) return;
      gone = true;
      this.lost(client, error);
    };
    // Listeners before connect(): an 'error' event with none would end the process.
    client.on("error", lose);
    client.on("end", () => lose(new Error("the notification connection closed")));
    client.on("notification", (message) => this.dispatch(message));
    try {
      await client.connect();
      await client.query(LISTEN_SQL);
    } catch (error) {
      lose(error);
      return;
    }
    if (gone) return;
    if (this.stopped) {
      gone = true;
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.connections++;
    if (this.failures > 0) {
      this.options.logger.info(
        { failures: this.failures },
        "notification listener reconnected; cross-process wake-ups are back",
      );
    }
    this.failures = 0;
    this.startPings(client, lose);
    // Anything committed while this process was not listening is only seen by looking again.
    this.options.signals.setCoversAllProcesses(true);
    this.options.signals.resync();
  }

  private lost(client: pg.Client, error: unknown): void {
    if (this.client === client) {
      this.client = undefined;
      clearInterval(this.pingTimer);
      this.options.signals.setCoversAllProcesses(false);
    }
    // Closes the socket if it is still open (a failed liveness check); errors are already handled.
    client.end().catch(() => undefined);
    this.retry(error);
  }

  /** Logs the failure (the first, then every tenth in a row) and tries again after a backoff. */
  private retry(error: unknown): void {
    if (this.stopped) return;
    this.failures++;
    const { minRetryMs = 250, maxRetryMs = 10_000 } = this.options;
    const base = Math.min(maxRetryMs, minRetryMs * 2 ** Math.min(this.failures - 1, 10));
    // Jitter: processes that lost one server together do not all come back in the same instant.
    const delayMs = Math.round(base * (0.5 + Math.random() / 2));
    if (this.failures === 1 || this.failures % 10 === 0) {
      this.options.logger.warn(
        { err: error, failures: this.failures, retry_in_ms: delayMs },
        "notification listener disconnected; polling until it reconnects",
      );
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connectOnce(), delayMs);
    this.retryTimer.unref();
  }

  /**
   * A connection that died without a FIN or RST (a vanished host, a dropped NAT entry) would
   * otherwise look alive for hours: an unanswered `SELECT 1` counts as a loss.
   */
  private startPings(client: pg.Client, lose: (error: unknown) => void): void {
    const { pingMs = 30_000, pingTimeoutMs = 10_000 } = this.options;
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      const timeout = setTimeout(
        () => lose(new Error(`no answer to a liveness check in ${pingTimeoutMs} ms`)),
        pingTimeoutMs,
      );
      timeout.unref();
      client.query("SELECT 1").then(
        () => clearTimeout(timeout),
        (error: unknown) => {
          clearTimeout(timeout);
          lose(error);
        },
      );
    }, pingMs);
    this.pingTimer.unref();
  }

  private dispatch(message: pg.Notification): void {
    const id = message.payload ?? "";
    const { signals } = this.options;
    switch (message.channel) {
      case CHANNELS.runs:
        signals.runEnqueued();
        break;
      case CHANNELS.threads:
        if (id) signals.threadSettled(id);
        break;
      case CHANNELS.runEvents:
        if (id) signals.runEventsWritten(id);
        break;
      case CHANNELS.keys:
        signals.keyCreated();
        break;
      case CHANNELS.thresholds:
        signals.thresholdsChanged();
        break;
      case CHANNELS.prompts:
        signals.promptsChanged();
        break;
    }
  }
}
