import type { Queryable } from "../db/database.js";
import { enqueueEvent, type WebhookEventType } from "./events.js";

/** Records a webhook event in the caller's transaction, so it exists exactly when the change does. */
export type EmitEvent = (
  db: Queryable,
  type: WebhookEventType,
  data: Record<string, unknown>,
) => Promise<void>;

export const emitToOutbox: EmitEvent = (db, type, data) => enqueueEvent(db, type, data);

/** Without a webhook URL nothing would ever deliver the events, so none are written. */
export const emitNothing: EmitEvent = () => Promise.resolve();
