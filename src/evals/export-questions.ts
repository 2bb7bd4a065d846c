import { createHash } from "node:crypto";
import type { ExampleSplit } from "./export-example.js";

/** Questions as the export keys them: normalized for deduplication, hashed for the split. */

export const DEFAULT_TEST_SHARE = 0.2;

/** Lowercase, NFKC, collapsed whitespace, no punctuation or symbols at either end. */
export function normalizeQuestion(question: string): string {
  return question
    .normalize("NFKC")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, "");
}

export function questionDigest(question: string): Buffer {
  return createHash("sha256").update(normalizeQuestion(question)).digest();
}

/** test when the first 4 bytes of SHA-256(normalized question) / 2^32 < testShare, else train. */
export function splitOf(question: string, testShare: number = DEFAULT_TEST_SHARE): ExampleSplit {
  return splitOfDigest(questionDigest(question), testShare);
}

export function splitOfDigest(digest: Buffer, testShare: number): ExampleSplit {
  return digest.readUInt32BE(0) / 2 ** 32 < testShare ? "test" : "train";
}
