import type { RunnableConfig } from "@langchain/core/runnables";
import {
  WRITES_IDX_MAP,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
} from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import type pg from "pg";
import { RunCheckpoints, type Statement } from "./run-checkpoints.js";

/**
 * LangGraph's `PostgresSaver`, on the same tables and rows, with each write in one statement:
 * a checkpoint and all of its channel blobs, or a task's writes, as one multi-row insert. The
 * stock saver sends one INSERT per blob and per write between a BEGIN and a COMMIT (about 15
 * statements per checkpoint of this graph); a single statement is atomic on its own, so this
 * needs no transaction. Reads, listing, deletes and migrations are the stock saver's, and the
 * stock saver reads what this one writes (test/one-statement-saver.test.ts runs LangGraph's
 * checkpointer validation suite on it and reads its rows back with the stock saver).
 *
 * Inside a run that carries `RunCheckpoints` in its config, writes are kept for the executor to
 * send in the run's outcome transaction, and the thread's latest checkpoint is read once for the
 * executor and the graph together (see run-checkpoints.ts).
 */
export class OneStatementSaver extends PostgresSaver {
  constructor(private readonly db: pg.Pool) {
    super(db);
  }

  override async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    if (config.configurable === undefined) {
      throw new Error(`Missing "configurable" field in "config" param`);
    }
    const {
      thread_id,
      checkpoint_ns = "",
      checkpoint_id,
    } = config.configurable as {
      thread_id: string;
      checkpoint_ns?: string;
      checkpoint_id?: string;
    };
    const [blobs, dumpedMetadata] = await Promise.all([
      this._dumpBlobs(thread_id, checkpoint_ns, checkpoint.channel_values, newVersions),
      this._dumpMetadata(metadata) as Promise<unknown>,
    ]);
    await this.send(config, `${thread_id}\0${checkpoint_ns}`, {
      text: `WITH blobs AS (
         INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
         SELECT $1, $2, b.channel, b.version, b.type, b.blob
         FROM unnest($7::text[], $8::text[], $9::text[], $10::bytea[])
           AS b(channel, version, type, blob)
         ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING)
       INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id,
         checkpoint, metadata)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id)
       DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata`,
      values: [
        thread_id,
        checkpoint_ns,
        checkpoint.id,
        checkpoint_id,
        this._dumpCheckpoint(checkpoint),
        dumpedMetadata,
        blobs.map((b) => b[2]),
        blobs.map((b) => b[3]),
        blobs.map((b) => b[4]),
        blobs.map((b) => bytes(b[5])),
      ],
    });
    return { configurable: { thread_id, checkpoint_ns, checkpoint_id: checkpoint.id } };
  }

  override async putWrites(
    config: RunnableConfig,
    writes: PendingWrite[],
    taskId: string,
  ): Promise<void> {
    if (writes.length === 0) return;
    const configurable = (config.configurable ?? {}) as {
      thread_id: string;
      checkpoint_ns?: string;
      checkpoint_id: string;
    };
    // One row per index, the last write winning, as the stock saver's one insert per write
    // leaves it (a multi-row upsert may not touch a row twice).
    const byIdx = new Map<number, Awaited<ReturnType<PostgresSaver["_dumpWrites"]>>[number]>();
    for (const write of await this._dumpWrites(
      configurable.thread_id,
      configurable.checkpoint_ns ?? "",
      configurable.checkpoint_id,
      taskId,
      writes,
    )) {
      byIdx.set(write[4], write);
    }
    const dumped = [...byIdx.values()];
    // As the stock saver: special writes (errors, interrupts …) replace an earlier one at their
    // index, ordinary ones are written once.
    const replace = writes.every((w) => w[0] in WRITES_IDX_MAP);
    const key = `${configurable.thread_id}\0${configurable.checkpoint_ns ?? ""}`;
    await this.send(config, key, {
      text: `INSERT INTO checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx,
         channel, type, blob)
       SELECT $1, $2, $3, $4, w.idx, w.channel, w.type, w.blob
       FROM unnest($5::int[], $6::text[], $7::text[], $8::bytea[]) AS w(idx, channel, type, blob)
       ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) ${
         replace
           ? "DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob"
           : "DO NOTHING"
       }`,
      values: [
        configurable.thread_id,
        configurable.checkpoint_ns ?? "",
        configurable.checkpoint_id,
        taskId,
        dumped.map((w) => w[4]),
        dumped.map((w) => w[5]),
        dumped.map((w) => w[6]),
        dumped.map((w) => bytes(w[7])),
      ],
    });
  }

  override async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const run = RunCheckpoints.of(config);
    const {
      thread_id,
      checkpoint_ns = "",
      checkpoint_id,
    } = (config.configurable ?? {}) as {
      thread_id: string;
      checkpoint_ns?: string;
      checkpoint_id?: string;
    };
    if (!run || checkpoint_id) return super.getTuple(config);
    const key = `${thread_id}\0${checkpoint_ns}`;
    let row = run.takeLatest(key) as CheckpointRow | null | undefined;
    if (row === undefined) {
      row =
        (
          await this.db.query<CheckpointRow>(
            `${this.selectSql} WHERE thread_id = $1 AND checkpoint_ns = $2
             ORDER BY checkpoint_id DESC LIMIT 1`,
            [thread_id, checkpoint_ns],
          )
        ).rows[0] ?? null;
      run.rememberLatest(key, row);
    }
    return row ? this.tupleOf(row, thread_id, checkpoint_ns) : undefined;
  }

  /** A checkpoint row as the stock getTuple makes it a tuple; each call makes its own objects. */
  private async tupleOf(
    shared: CheckpointRow,
    thread_id: string,
    checkpoint_ns: string,
  ): Promise<CheckpointTuple> {
    // The row may be loaded twice: its JSON is copied so neither load changes the other's.
    const row: CheckpointRow = {
      ...shared,
      checkpoint: structuredClone(shared.checkpoint),
      metadata: structuredClone(shared.metadata),
    };
    if (row.checkpoint.v < 4 && row.parent_checkpoint_id != null) {
      const [sendsRow] = (
        await this.db.query<{ pending_sends: [Uint8Array, Uint8Array][] }>(
          this.statements.SELECT_PENDING_SENDS_SQL,
          [thread_id, [row.parent_checkpoint_id]],
        )
      ).rows;
      if (sendsRow != null) {
        await this._migratePendingSends(sendsRow.pending_sends, row);
      }
    }
    const parent = row.parent_checkpoint_id;
    return {
      config: { configurable: { thread_id, checkpoint_ns, checkpoint_id: row.checkpoint_id } },
      checkpoint: await this._loadCheckpoint(row.checkpoint, row.channel_values),
      metadata: (await this._loadMetadata(row.metadata)) as CheckpointMetadata,
      parentConfig: parent
        ? { configurable: { thread_id, checkpoint_ns, checkpoint_id: parent } }
        : undefined,
      pendingWrites: await this._loadWrites(row.pending_writes),
    };
  }

  /** The stock saver's own statements (private in its types), so both read the same columns. */
  private get statements(): { SELECT_SQL: string; SELECT_PENDING_SENDS_SQL: string } {
    return (this as unknown as { SQL_STATEMENTS: OneStatementSaver["statements"] }).SQL_STATEMENTS;
  }

  private get selectSql(): string {
    return this.statements.SELECT_SQL;
  }

  /** Sends a write now, or keeps it for the run's outcome transaction. */
  private async send(config: RunnableConfig, key: string, statement: Statement): Promise<void> {
    const run = RunCheckpoints.of(config);
    if (run) {
      run.forget(key);
      run.keep(statement);
      return;
    }
    await this.db.query(statement.text, statement.values);
  }
}

/** A row of the stock saver's SELECT_SQL. */
interface CheckpointRow {
  thread_id: string;
  checkpoint: Omit<Checkpoint, "pending_sends" | "channel_values"> & { v: number };
  checkpoint_ns: string;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  metadata: Record<string, unknown>;
  channel_values: [Uint8Array, Uint8Array, Uint8Array][];
  pending_writes: [Uint8Array, Uint8Array, Uint8Array, Uint8Array][];
}

/** A blob as node-postgres sends bytea inside an array: a Buffer (a missing one as NULL). */
function bytes(value: Uint8Array | undefined): Buffer | null {
  if (value === undefined) return null;
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length);
}
