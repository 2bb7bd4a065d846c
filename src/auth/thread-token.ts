import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Signed, expiring grants for one thread and one purpose, handed to a thread's owner so a browser
 * can act on that thread without an API key (the feedback widget). The token is
 * `<purpose>.<thread id>.<expiry, unix seconds>.<HMAC-SHA256 of those three, base64url>`: nothing
 * is stored per token, any process holding the secret verifies it, and a change to any part
 * (another thread, a later expiry, another purpose) breaks the signature.
 */

export const threadTokenPurposes = ["feedback", "demo_view"] as const;
export type ThreadTokenPurpose = (typeof threadTokenPurposes)[number];

export interface ThreadTokenClaims {
  purpose: ThreadTokenPurpose;
  threadId: string;
  expiresAt: Date;
}

/** Why a token was refused, for the 401's message. */
export type ThreadTokenRefusal =
  "malformed" | "bad_signature" | "wrong_purpose" | "wrong_thread" | "expired";

const FORMAT = /^([a-z_]{1,20})\.([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

function signature(secret: Buffer, purpose: string, threadId: string, expiry: string): Buffer {
  return createHmac("sha256", secret)
    .update(`signoff-thread-token:${purpose}:${threadId}:${expiry}`)
    .digest();
}

/** A token for these claims (the expiry is kept to the second). */
export function signThreadToken(secret: Buffer, claims: ThreadTokenClaims): string {
  const expiry = String(Math.floor(claims.expiresAt.getTime() / 1000));
  const threadId = claims.threadId.toLowerCase();
  const mac = signature(secret, claims.purpose, threadId, expiry).toString("base64url");
  return `${claims.purpose}.${threadId}.${expiry}.${mac}`;
}

/**
 * Checks a token for `expected`'s purpose and thread at `now`: the signature first (compared in
 * constant time, so a forger learns nothing from timing), then what it grants.
 */
export function verifyThreadToken(
  secret: Buffer,
  token: string,
  expected: { purpose: ThreadTokenPurpose; threadId: string; now: Date },
): { ok: true; expiresAt: Date } | { ok: false; refusal: ThreadTokenRefusal } {
  const parts = FORMAT.exec(token);
  if (!parts) return { ok: false, refusal: "malformed" };
  const [, purpose, threadId, expiry, mac] = parts as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  const given = Buffer.from(mac, "base64url");
  const wanted = signature(secret, purpose, threadId, expiry);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    return { ok: false, refusal: "bad_signature" };
  }
  if (purpose !== expected.purpose) return { ok: false, refusal: "wrong_purpose" };
  if (threadId !== expected.threadId.toLowerCase()) return { ok: false, refusal: "wrong_thread" };
  const expiresAt = new Date(Number(expiry) * 1000);
  if (expiresAt.getTime() <= expected.now.getTime()) return { ok: false, refusal: "expired" };
  return { ok: true, expiresAt };
}
