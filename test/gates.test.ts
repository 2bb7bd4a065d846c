import { describe, expect, it } from "vitest";
import { answerGate, retrievalGate, type AnswerFacts } from "../src/graph/gates.js";

const passing: AnswerFacts = {
  riskTier: "low",
  policyMatches: [],
  judgment: { score: 0.8, flags: [] },
  auditSample: false,
};

describe("the answer gate", () => {
  it("passes a low-risk, unflagged draft the judge scored at or over the threshold", () => {
    expect(answerGate(passing, { judgeThreshold: 0.6 })).toEqual({ pass: true, reasons: [] });
    expect(answerGate(passing, { judgeThreshold: 0.8 }).pass).toBe(true);
  });

  it("holds a draft for each thing wrong with it, and says so in plain words", () => {
    const gate = answerGate(
      {
        riskTier: "high",
        policyMatches: [
          { rule: "health", tier: "high", description: "health questions need a clinician" },
          { rule: "greeting", tier: "low", description: "small talk" },
        ],
        judgment: { score: 0.3, flags: ["missing_citations"] },
        auditSample: true,
      },
      { judgeThreshold: 0.6 },
    );
    expect(gate).toEqual({
      pass: false,
      reasons: [
        "high-risk topic: health questions need a clinician",
        "judge score 0.30 is under 0.60",
        "the draft cites no passage",
      ],
    });
  });

  it("holds audit samples, an unknown risk tier and a draft nobody judged", () => {
    expect(answerGate({ ...passing, auditSample: true }, { judgeThreshold: 0.6 }).reasons).toEqual([
      "picked at random for an audit review (the answer passed every gate)",
    ]);
    expect(answerGate({ ...passing, riskTier: null }, { judgeThreshold: 0.6 }).pass).toBe(false);
    expect(answerGate({ ...passing, judgment: null }, { judgeThreshold: 0.6 }).pass).toBe(false);
  });
});

describe("the retrieval gate", () => {
  it("passes evidence scored at or over the threshold", () => {
    expect(retrievalGate({ score: 0.5, passages: 3 }, { retrievalThreshold: 0.5 })).toEqual({
      pass: true,
      reasons: [],
    });
  });

  it("holds weaker evidence, and says when nothing matched at all", () => {
    expect(
      retrievalGate({ score: 0.31, passages: 2 }, { retrievalThreshold: 0.5 }).reasons,
    ).toEqual(["retrieval score 0.31 is under 0.50"]);
    expect(retrievalGate({ score: undefined, passages: 0 }, { retrievalThreshold: 0.5 })).toEqual({
      pass: false,
      reasons: [
        "retrieval score 0.00 is under 0.50",
        "no passage of the knowledge base matches the question",
      ],
    });
  });
});
