import type { RunClaim, RunRow } from "../repositories/runs.js";

/**
 * A slot of this process's worker, held while a transaction enqueues a run: the enqueue claims
 * the run for it (`enqueueRun(…, slot.claim)`), so the run starts without a claim statement or a
 * wake-up. After the transaction, `settle` hands the worker the run it claimed (or nothing, when
 * it queued the run as usual or rolled back) and frees the slot.
 */
export interface HeldSlot {
  readonly claim: RunClaim;
  settle(run: RunRow | undefined): void;
}

/** The worker of this process, as the services that enqueue runs see it. */
export interface LocalWorker {
  /** A free interactive slot, or undefined when every slot is taken or the worker stopped. */
  holdSlot(): HeldSlot | undefined;
}

/** What a transaction run with `withHeldSlot` claims with, and the run it enqueued. */
export interface SlotUse {
  readonly claim: RunClaim | undefined;
  enqueued?: RunRow;
}

/**
 * Runs `transaction` with a slot of the local worker held (when it has one free) and settles
 * the slot after: the run the transaction enqueued goes to the worker only once it committed.
 */
export async function withHeldSlot<T>(
  worker: LocalWorker | undefined,
  transaction: (slot: SlotUse) => Promise<T>,
): Promise<T> {
  const held = worker?.holdSlot();
  const slot: SlotUse = { claim: held?.claim };
  try {
    const result = await transaction(slot);
    held?.settle(slot.enqueued);
    return result;
  } catch (error) {
    held?.settle(undefined);
    throw error;
  }
}
