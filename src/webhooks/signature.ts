import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "Signoff-Signature";
export const EVENT_ID_HEADER = "Signoff-Event-Id";
export const EVENT_TYPE_HEADER = "Signoff-Event-Type";
export const USER_AGENT = "signoff-webhooks";

function hmacHex(secret: string, timestampSeconds: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestampSeconds}.${body}`, "utf8").digest("hex");
}

/**
 * The `Signoff-Signature` header value, Stripe style: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<raw body>" keyed with the secret>`. Signing the timestamp with the body lets a receiver
 * reject replays of old requests.
 */
export function signPayload(secret: string, body: string, timestampSeconds: number): string {
  const t = Math.floor(timestampSeconds);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

export interface VerifyOptions {
  /** How far the signed timestamp may be from `now`, either way. Default 300 s. */
  toleranceSeconds?: number;
  /** Default: the current time. */
  now?: Date;
}

/**
 * Checks a `Signoff-Signature` header against the raw request body (the exact bytes received,
 * before any JSON parsing). True when some `v1` entry matches and the timestamp is within
 * tolerance. Several `v1` entries are accepted so a secret can be rotated.
 */
export function verifySignature(
  secret: string,
  header: string | null | undefined,
  rawBody: string,
  options: VerifyOptions = {},
): boolean {
  if (!header) return false;
  const { toleranceSeconds = 300, now = new Date() } = options;
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(",")) {
    const index = part.indexOf("=");
    if (index < 0) continue;
    const key = part.slice(0, index).trim();
    const value = part.slice(index + 1).trim();
    if (key === "t" && /^\d+$/.test(value)) timestamp = Number(value);
    else if (key === "v1" && /^[0-9a-f]{64}$/i.test(value)) candidates.push(value);
  }
  if (timestamp === undefined || candidates.length === 0) return false;
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, rawBody), "hex");
  let matched = false;
  for (const candidate of candidates) {
    // Both are 32 bytes (the regex above), as timingSafeEqual requires; no early exit.
    if (timingSafeEqual(expected, Buffer.from(candidate, "hex"))) matched = true;
  }
  return matched;
}
