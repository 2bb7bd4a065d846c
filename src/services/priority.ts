import type { ReviewCard } from "../graph/review-card.js";

const TIER_WEIGHT: Record<string, number> = { blocked: 300, high: 300, medium: 200, low: 100 };

/**
 * Queue priority of a new review: risk tier first, then how doubtful the scores are (0-50), so a
 * high-risk answer outranks a low-risk one and, within a tier, the shakiest comes first. Age
 * breaks ties in the queue order.
 */
export function reviewPriority(card: ReviewCard): number {
  const tier = TIER_WEIGHT[card.risk_tier] ?? 100;
  const score = card.stage === "answer" && card.judge ? card.judge.score : card.retrieval.score;
  return tier + Math.round((1 - Math.min(1, Math.max(0, score))) * 50);
}
