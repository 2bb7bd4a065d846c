import { readFile } from "node:fs/promises";
import { defaultPolicy } from "./default-policy.js";
import { policySchema, type Policy } from "./policy.js";

/** The policy from a JSON file when one is configured, else the built-in one. */
export async function loadPolicy(file: string | undefined): Promise<Policy> {
  if (!file) return defaultPolicy;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new Error(`POLICY_FILE ${file} could not be read as JSON: ${(error as Error).message}`);
  }
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`POLICY_FILE ${file} is not a valid policy: ${parsed.error.message}`);
  }
  for (const rule of parsed.data.rules) {
    for (const pattern of rule.patterns) new RegExp(pattern, "i"); // throws on a bad pattern
  }
  return parsed.data;
}
