import type { RunnableConfig } from "@langchain/core/runnables";
import type pg from "pg";

/** A statement with its parameters, as `pg` takes it. */
export interface Statement {
  text: string;
  values: unknown[];
}

/**
 * What one run does with its thread's checkpoints, handed to the saver in the run's config:
 * - the checkpoint writes are kept, not sent, so the executor writes them in the transaction
 *   that records the run's outcome (a pause is one commit: the checkpoint, the review row and the
 *   run's end, or none of them);
 * - the thread's latest checkpoint is read once: the executor looks at it to decide what to
 *   run, and the graph then loads the same row instead of reading it again.
 * Only for a run whose checkpoints are written at its end (`CHECKPOINT_DURABILITY=exit`): a
 * checkpoint written after every step is written as it comes.
 */
export class RunCheckpoints {
  private readonly kept: Statement[] = [];
  private readonly latest = new Map<string, unknown>();

  /** The config key it travels under; `__`-prefixed keys stay out of checkpoint metadata. */
  static readonly KEY = "__signoff_run_checkpoints";

  static of(config: RunnableConfig | undefined): RunCheckpoints | undefined {
    const value = (config?.configurable as Record<string, unknown> | undefined)?.[
      RunCheckpoints.KEY
    ];
    return value instanceof RunCheckpoints ? value : undefined;
  }

  keep(statement: Statement): void {
    this.kept.push(statement);
  }

  /** Sends the kept writes on the caller's transaction, in the order the graph made them. */
  async writeOn(tx: pg.PoolClient): Promise<number> {
    const statements = this.kept.splice(0);
    for (const { text, values } of statements) await tx.query(text, values);
    return statements.length;
  }

  /** The writes kept so far (for tests and the bench's accounting). */
  get pending(): number {
    return this.kept.length;
  }

  /** Remembers the latest checkpoint row of a thread (null: it has none) for the next read. */
  rememberLatest(key: string, row: unknown): void {
    this.latest.set(key, row);
  }

  /** The row remembered for the next read, once; undefined when there is none. */
  takeLatest(key: string): unknown {
    if (!this.latest.has(key)) return undefined;
    const row = this.latest.get(key);
    this.latest.delete(key);
    return row ?? null;
  }

  /** A write makes the remembered row old. */
  forget(key: string): void {
    this.latest.delete(key);
  }
}
