import type pg from "pg";
import type { Principal } from "../../auth/principal.js";
import type { RunSignals } from "../../runs/thread-events.js";
import type { LocalWorker } from "../../runs/held-slot.js";
import type { EmitEvent } from "../../webhooks/emit.js";
import type { ReviewPolicy } from "../review-policy.js";

export interface ReviewServiceDeps {
  pool: pg.Pool;
  signals: RunSignals;
  maxAttempts: number;
  reviewPolicy: ReviewPolicy;
  emit: EmitEvent;
  claimLeaseSeconds: number;
  /** The service's clock; tests move it instead of sleeping. */
  now: () => Date;
  /** This process's worker: a decision's resume run is claimed for it as it is enqueued. */
  localWorker?: LocalWorker;
}

/** Who is asking: a reviewer, an admin, or the SLA sweeper acting as one. */
export interface Caller {
  name: string;
  /** Admins may take over claims and settle disputed items. */
  admin: boolean;
}

/** The caller a key or a signed-in reviewer stands for. */
export function callerFor(principal: Principal): Caller {
  return { name: principal.name, admin: principal.open || principal.role === "admin" };
}
