import type pg from "pg";
import { debugEvent } from "../protocol/debug-events.js";
import { toWireJson } from "../protocol/wire-json.js";
import { appendRunEvents, lastEventSeq, type RunEventRow } from "../repositories/run-events.js";
import type { Lease } from "../repositories/runs.js";

/**
 * Writes a streamed run's events to `run_events` as the graph produces them. Events pushed
 * while a write is in flight go together in the next one, so a fast graph costs a few
 * multi-row inserts rather than one per event, and a slow one shows each event at once.
 * Writes are fenced by the lease (a worker that lost the run writes nothing).
 */
export class RunEventWriter {
  private pending: RunEventRow[] = [];
  private inFlight: Promise<void> | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly lease: Lease,
    private seq: number,
    private readonly onWritten: () => void,
  ) {}

  /** A writer that continues the run's stream after what earlier attempts wrote. */
  static async open(pool: pg.Pool, lease: Lease, onWritten: () => void): Promise<RunEventWriter> {
    return new RunEventWriter(pool, lease, await lastEventSeq(pool, lease.runId), onWritten);
  }

  /** One event: a graph stream chunk of `mode`, or one of the run's own (metadata, error). */
  push(event: string, data: unknown): void {
    const wire = event === "debug" ? debugEvent(data) : data;
    this.pending.push({ seq: ++this.seq, event, data: toWireJson(wire) ?? "null" });
    this.inFlight ??= this.drain();
  }

  /** Resolves once everything pushed so far is written; rethrows a failed write. */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    if (this.failure) throw this.failure;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.failure) {
        const batch = this.pending;
        this.pending = [];
        await appendRunEvents(this.pool, this.lease, batch);
        this.onWritten();
      }
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
    } finally {
      this.inFlight = undefined;
    }
  }
}
