import { z } from "zod";

/**
 * The guard's policy: rules over the question, kept as data (a JSON file can replace the
 * built-in one) so compliance owners can change it without touching code.
 */
export const riskTiers = ["low", "medium", "high", "blocked"] as const;
export type RiskTier = (typeof riskTiers)[number];

export const policyRuleSchema = z.object({
  id: z.string().min(1),
  /** Plain words for the review card, e.g. "medical dosing questions need a clinician". */
  description: z.string().min(1),
  tier: z.enum(riskTiers),
  /** Whole words or phrases matched case-insensitively. */
  keywords: z.array(z.string().min(1)).default([]),
  /** Regular expressions (case-insensitive) for what keywords cannot express. */
  patterns: z.array(z.string().min(1)).default([]),
  /**
   * Whether documents of this domain (the rule's id, e.g. "health") wait for a reviewer before
   * they can be retrieved. Absent: curated when the tier is high.
   */
  curated: z.boolean().optional(),
});

export const policySchema = z.object({
  rules: z.array(policyRuleSchema),
  /** Tier given to questions that contain personal data (emails, phone or card numbers …). */
  piiTier: z.enum(riskTiers).default("medium"),
  /** What a blocked request is told. */
  refusal: z.string().min(1),
});

export type PolicyRule = z.infer<typeof policyRuleSchema>;
export type Policy = z.infer<typeof policySchema>;

export interface PolicyMatch {
  rule: string;
  description: string;
  tier: RiskTier;
}

/** The domains whose documents are curated (rule ids, lower-cased). */
export function curatedDomains(policy: Policy): Set<string> {
  return new Set(
    policy.rules
      .filter((rule) => rule.curated ?? rule.tier === "high")
      .map((rule) => rule.id.toLowerCase()),
  );
}

const tierRank: Record<RiskTier, number> = { low: 0, medium: 1, high: 2, blocked: 3 };

export function higherTier(a: RiskTier, b: RiskTier): RiskTier {
  return tierRank[a] >= tierRank[b] ? a : b;
}

const piiDetectors: { kind: string; pattern: RegExp; valid?: (match: string) => boolean }[] = [
  { kind: "email", pattern: /[\w.+-]+@[\w-]+\.[\w.-]+/g },
  { kind: "us_ssn", pattern: /\b\d{3}-\d{2}-\d{4}\b/g },
  { kind: "card_number", pattern: /\b(?:\d[ -]?){13,19}\b/g, valid: passesLuhn },
  { kind: "phone", pattern: /(?:\+\d{1,3}[ .-]?)?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b/g },
];

function passesLuhn(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, "");
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length >= 13 && sum % 10 === 0;
}

/** Kinds of personal data found in the text, e.g. ["email"]. */
export function detectPii(text: string): string[] {
  const kinds = new Set<string>();
  for (const detector of piiDetectors) {
    for (const match of text.matchAll(detector.pattern)) {
      if (!detector.valid || detector.valid(match[0])) kinds.add(detector.kind);
    }
  }
  return [...kinds];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function ruleMatches(rule: PolicyRule, question: string): boolean {
  const keywordHit = rule.keywords.some((keyword) =>
    // Plurals match too: "wire transfer" also catches "wire transfers".
    new RegExp(`\\b${escapeRegExp(keyword).replace(/\s+/g, "\\s+")}(?:s|es)?\\b`, "i").test(
      question,
    ),
  );
  return keywordHit || rule.patterns.some((pattern) => new RegExp(pattern, "i").test(question));
}

export interface Classification {
  tier: RiskTier;
  matches: PolicyMatch[];
  pii: string[];
}

/** The guard's decision: the highest tier of every rule that matches, and any personal data. */
export function classifyRequest(question: string, policy: Policy): Classification {
  const matches: PolicyMatch[] = policy.rules
    .filter((rule) => ruleMatches(rule, question))
    .map((rule) => ({ rule: rule.id, description: rule.description, tier: rule.tier }));
  const pii = detectPii(question);
  if (pii.length > 0) {
    matches.push({
      rule: "pii",
      description: `the question contains personal data (${pii.join(", ")})`,
      tier: policy.piiTier,
    });
  }
  const tier = matches.reduce<RiskTier>((acc, m) => higherTier(acc, m.tier), "low");
  return { tier, matches, pii };
}
