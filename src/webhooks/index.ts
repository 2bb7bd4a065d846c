export {
  enqueueEvent,
  eventBody,
  webhookEventTypes,
  type OutboxRow,
  type WebhookEvent,
  type WebhookEventType,
} from "./events.js";
export {
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  USER_AGENT,
  signPayload,
  verifySignature,
  type VerifyOptions,
} from "./signature.js";
export {
  WebhookDeliverer,
  backoffSeconds,
  type DeliveryResult,
  type WebhookDelivererOptions,
} from "./deliverer.js";
