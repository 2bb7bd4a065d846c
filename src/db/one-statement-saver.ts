import type { RunnableConfig } from "@langchain/core/runnables";
import {
  WRITES_IDX_MAP,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointMetadata,
  type PendingWrite,
} from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import type pg from "pg";

/**
 * LangGraph's `PostgresSaver`, on the same tables and rows, with each write in one statement:
 * a checkpoint and all of its channel blobs, or a task's writes, as one multi-row insert. The
 * stock saver sends one INSERT per blob and per write between a BEGIN and a COMMIT (about 15
 * statements per checkpoint of this graph); a single statement is atomic on its own, so this
 * needs no transaction. Reads, listing, deletes and migrations are the stock saver's, and the
 * stock saver reads what this one writes (test/one-statement-saver.test.ts runs LangGraph's
 * checkpointer validation suite on it and reads its rows back with the stock saver).
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
    await this.db.query(
      `WITH blobs AS (
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
      [
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
    );
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
    await this.db.query(
      `INSERT INTO checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx,
         channel, type, blob)
       SELECT $1, $2, $3, $4, w.idx, w.channel, w.type, w.blob
       FROM unnest($5::int[], $6::text[], $7::text[], $8::bytea[]) AS w(idx, channel, type, blob)
       ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) ${
         replace
           ? "DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob"
           : "DO NOTHING"
       }`,
      [
        configurable.thread_id,
        configurable.checkpoint_ns ?? "",
        configurable.checkpoint_id,
        taskId,
        dumped.map((w) => w[4]),
        dumped.map((w) => w[5]),
        dumped.map((w) => w[6]),
        dumped.map((w) => bytes(w[7])),
      ],
    );
  }
}

/** A blob as node-postgres sends bytea inside an array: a Buffer (a missing one as NULL). */
function bytes(value: Uint8Array | undefined): Buffer | null {
  if (value === undefined) return null;
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length);
}
