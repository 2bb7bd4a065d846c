/** What the CLIs that approve and reject versions (thresholds, prompts) say about a decision. */

export type DecisionAction = "approve" | "reject";

export interface DecisionOutcome {
  version: { version: number };
  changed: boolean;
  superseded: { version: number } | null;
}

export function describeDecision(
  action: DecisionAction,
  result: DecisionOutcome,
  words: {
    /** How the version is named, e.g. "v3 (retrieval 0.40, judge 0.70)" or "generator v3". */
    name: string;
    /** What an approval does, e.g. "runs starting now are gated by it". */
    effect: string;
    /** What a rejection means, e.g. "it will never gate anything". */
    never: string;
  },
): string {
  if (!result.changed) {
    return `${words.name} was already ${action === "approve" ? "active" : "rejected"}; nothing changed`;
  }
  if (action === "reject") return `${words.name} rejected; ${words.never}`;
  const superseded = result.superseded ? ` (v${result.superseded.version} superseded)` : "";
  return `${words.name} is active; ${words.effect}${superseded}`;
}
