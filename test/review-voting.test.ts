import { describe, expect, it } from "vitest";
import type { Decision } from "../src/graph/decision.js";
import { castVote, type Ballot } from "../src/services/reviews/voting.js";

const approve: Decision = { type: "approve", reasons: [] };
const reject: Decision = { type: "reject", reasons: ["wrong"] };
const revise: Decision = { type: "revise", instructions: "cite the policy", reasons: [] };
const respond: Decision = { type: "respond", answer: "Thirty days.", reasons: [] };
const editAnswer: Decision = { type: "edit", answer: "Thirty days.", reasons: [] };
const editEvidence: Decision = {
  type: "edit",
  chunk_ids: ["00000000-0000-4000-8000-000000000001"],
  reasons: [],
};

const reviewer = (name: string) => ({ name, admin: false, system: false });

function ballot(overrides: Partial<Ballot> = {}): Ballot {
  return {
    stage: "answer",
    decision: approve,
    voter: reviewer("ana"),
    approvalsRequired: 2,
    votes: [],
    ...overrides,
  };
}

describe("the voting rule", () => {
  it("with one sign-off wanted, any decision is final and no vote is kept", () => {
    for (const decision of [approve, reject, revise, respond, editAnswer]) {
      expect(castVote(ballot({ approvalsRequired: 1, decision }))).toEqual({
        verdict: "final",
        recordVote: false,
      });
    }
  });

  it("admins and the SLA sweeper decide outright, whatever was voted before", () => {
    const disputed = [
      { actor: "ana", decision_type: "approve" },
      { actor: "ben", decision_type: "reject" },
    ];
    const admin = { name: "root", admin: true, system: false };
    const sweeper = { name: "system:sla", admin: true, system: true };
    for (const voter of [admin, sweeper]) {
      expect(castVote(ballot({ voter, votes: disputed, decision: reject }))).toEqual({
        verdict: "final",
        recordVote: false,
      });
    }
    // The system flag alone is enough.
    expect(castVote(ballot({ voter: { name: "x", admin: false, system: true } })).verdict).toBe(
      "final",
    );
  });

  it("an answer-stage approval is a vote until enough are in; the last one decides and is kept", () => {
    expect(castVote(ballot({ approvalsRequired: 3 }))).toEqual({ verdict: "vote", approvals: 1 });
    const oneIn = [{ actor: "ana", decision_type: "approve" }];
    expect(
      castVote(ballot({ approvalsRequired: 3, voter: reviewer("ben"), votes: oneIn })),
    ).toEqual({ verdict: "vote", approvals: 2 });
    expect(castVote(ballot({ voter: reviewer("ben"), votes: oneIn }))).toEqual({
      verdict: "final",
      recordVote: true,
    });
  });

  it("each reviewer votes once", () => {
    const votes = [{ actor: "ana", decision_type: "approve" }];
    expect(castVote(ballot({ votes, approvalsRequired: 3 }))).toEqual({
      verdict: "refused",
      code: "already_voted",
      message: "ana has already voted on this item",
    });
  });

  it("after a dispute only an admin decides", () => {
    const votes = [
      { actor: "ana", decision_type: "approve" },
      { actor: "ben", decision_type: "revise" },
    ];
    expect(castVote(ballot({ votes, approvalsRequired: 3, voter: reviewer("cy") }))).toMatchObject({
      verdict: "refused",
      code: "escalated_to_admin",
    });
  });

  it("an answer a reviewer wrote escalates for a second pair of eyes, at either stage", () => {
    for (const stage of ["answer", "retrieval"] as const) {
      for (const decision of [respond, editAnswer]) {
        expect(castVote(ballot({ stage, decision }))).toEqual({
          verdict: "vote",
          approvals: 0,
          escalate: "a reviewer wrote the answer; policy wants a second sign-off",
        });
      }
    }
  });

  it("an objection after an approval is a dispute and escalates", () => {
    const votes = [{ actor: "ana", decision_type: "approve" }];
    for (const decision of [reject, revise, editEvidence]) {
      expect(castVote(ballot({ votes, decision, voter: reviewer("ben") }))).toEqual({
        verdict: "vote",
        approvals: 1,
        escalate: "reviewers disagreed",
      });
    }
  });

  it("an objection first, or a retrieval-stage decision, is final and not a vote", () => {
    for (const decision of [reject, revise, editEvidence]) {
      expect(castVote(ballot({ decision }))).toEqual({ verdict: "final", recordVote: false });
    }
    expect(castVote(ballot({ stage: "retrieval", decision: approve }))).toEqual({
      verdict: "final",
      recordVote: false,
    });
  });
});
