import { z } from "zod";

export interface JsonLimits {
  /** Nesting levels, counting the value itself as 1 (`{}` is 1, `{"a": {}}` is 2). */
  maxDepth: number;
  /** Size of the value serialised as JSON, in bytes. */
  maxBytes: number;
}

/** Free-form JSON a client may attach (thread metadata): enough for tags and ids, no more. */
export const METADATA_LIMITS: JsonLimits = { maxDepth: 16, maxBytes: 16_384 };

/**
 * How deeply a parsed JSON value nests, without recursion: a body nested thousands of levels
 * deep must not overflow the stack here, and must never reach Postgres, whose JSON functions
 * fail on it (a 500 where the client's mistake deserves a 422).
 */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== "object") continue;
    deepest = Math.max(deepest, depth);
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** A JSON object of bounded depth and size; the 422 names the field and the limit it broke. */
export function boundedJsonObject(limits: JsonLimits = METADATA_LIMITS) {
  return z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    const depth = jsonDepth(value);
    if (depth > limits.maxDepth) {
      ctx.addIssue({
        code: "custom",
        message: `nested ${depth} levels deep; at most ${limits.maxDepth} are allowed`,
      });
      return;
    }
    const bytes = Buffer.byteLength(JSON.stringify(value));
    if (bytes > limits.maxBytes) {
      ctx.addIssue({
        code: "custom",
        message: `${bytes} bytes as JSON; at most ${limits.maxBytes} are allowed`,
      });
    }
  });
}
