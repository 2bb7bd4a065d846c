import { Command, MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { defaultPolicy } from "../src/graph/default-policy.js";
import { parseResumeValue } from "../src/graph/decision.js";
import { compileGraph } from "../src/graph/graph.js";
import { cardOfInterrupt, type ReviewInterrupt } from "../src/graph/review-card.js";
import type { State } from "../src/graph/state.js";
import type { Passage, Providers } from "../src/providers/types.js";
import { pendingInterrupts } from "../src/runs/executor.js";

const IDS = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"];

function passage(chunk_id: string, score: number): Passage {
  return { chunk_id, document_id: "d", title: `Doc ${chunk_id.slice(0, 1)}`, text: "Fact.", score };
}

/** Retrieval and judge scores chosen to pause at one stage or the other. */
function providers(retrievalScore: number, judgeScore: number): Providers {
  return {
    name: "fake",
    retriever: {
      retrieve: () =>
        Promise.resolve({
          passages: IDS.map((id) => passage(id, retrievalScore)),
          score: retrievalScore,
        }),
      getPassages: (ids) => Promise.resolve(ids.map((id) => passage(id, retrievalScore))),
    },
    generator: {
      generate: (input) =>
        Promise.resolve({
          text: `Draft from ${input.evidence.length} passage(s) [1]`,
          citations: [{ marker: 1, chunk_id: input.evidence[0]!.chunk_id, title: "Doc" }],
          provider: "fake",
        }),
    },
    judge: {
      judge: () =>
        Promise.resolve({
          score: judgeScore,
          groundedness: 1,
          coverage: judgeScore,
          flags: [],
          rationale: "scripted",
          provider: "fake",
        }),
    },
  };
}

async function paused(stage: "answer" | "retrieval", threadId = `t-${stage}`) {
  const graph = compileGraph(new MemorySaver());
  const fake = stage === "answer" ? providers(0.9, 0.1) : providers(0.2, 0.9);
  const config = {
    configurable: { thread_id: threadId },
    context: { providers: fake, policy: defaultPolicy, settings: {} },
  };
  await graph.invoke({ question: "How do tents work?", metadata: {} }, config);
  const pending = async () => pendingInterrupts(await graph.getState(config))[0];
  const first = await pending();
  const value = first!.value as ReviewInterrupt;
  const resume = async (resumeValue: unknown) => {
    const now = await pending();
    await graph.invoke(new Command({ resume: { [now!.id]: resumeValue } }), config);
    const snap = await graph.getState(config);
    return { values: snap.values as State, interrupts: pendingInterrupts(snap) };
  };
  return { value, resume };
}

/**
 * What Agent Inbox sends on Edit (langchain-ai/agent-inbox,
 * src/components/agent-inbox/hooks/use-interrupted-actions.tsx and
 * components/inbox-item-input.tsx): the action request with its args, the edited field as the
 * text of its textarea, in a one-element list.
 */
function agentInboxEdit(value: ReviewInterrupt, field: string, text: string) {
  return [
    {
      type: "edit",
      args: {
        action: value.action_request.action,
        args: { ...value.action_request.args, [field]: text },
      },
    },
  ];
}

/**
 * Agent Chat UI's test for a LangChain v1 interrupt (langchain-ai/agent-chat-ui,
 * src/lib/agent-inbox-interrupt.ts `isAgentInboxInterruptSchema`), restated.
 */
function chatUiRendersIt(value: Record<string, unknown>): boolean {
  const requests = value.action_requests;
  const configs = value.review_configs;
  return (
    Array.isArray(requests) &&
    requests.length > 0 &&
    Array.isArray(configs) &&
    configs.length > 0 &&
    requests.every(
      (r: Record<string, unknown>) =>
        typeof r.name === "string" && typeof r.args === "object" && r.args !== null,
    ) &&
    configs.every(
      (c: Record<string, unknown>) =>
        typeof c.action_name === "string" && Array.isArray(c.allowed_decisions),
    )
  );
}

describe("the interrupt value", () => {
  it("at the answer stage, args are exactly {answer}, the draft; the card is beside them", async () => {
    const { value } = await paused("answer");
    const card = value.card;
    expect(card.stage).toBe("answer");
    expect(value.action_request).toEqual({
      action: "review_answer",
      args: { answer: card.draft!.text },
    });
    expect(Object.keys(value.action_request.args)).toEqual(["answer"]);
    expect(value.config).toEqual({
      allow_accept: true,
      allow_edit: true,
      allow_respond: true,
      allow_ignore: true,
    });
    // The description alone is enough to decide: question, reasons, scores, draft, passages.
    expect(value.description).toContain("How do tents work?");
    for (const reason of card.reasons) expect(value.description).toContain(reason);
    expect(value.description).toContain("Judge score:** 0.10 (threshold 0.60");
    expect(value.description).toContain("Retrieval score:** 0.90 (threshold 0.50)");
    expect(value.description).toContain(`> ${card.draft!.text}`);
    expect(value.description).toContain(IDS[0]);
  });

  it("at the retrieval stage, args are exactly {chunk_ids}, the passages shown", async () => {
    const { value } = await paused("retrieval");
    expect(value.card.stage).toBe("retrieval");
    expect(value.action_request).toEqual({ action: "review_retrieval", args: { chunk_ids: IDS } });
    expect(value.card.retrieval.passages.map((p) => p.chunk_id)).toEqual(IDS);
    expect(value.card.draft).toBeNull();
  });

  it("carries LangChain v1's HITLRequest too, as Agent Chat UI detects it", async () => {
    for (const stage of ["answer", "retrieval"] as const) {
      const { value } = await paused(stage);
      expect(chatUiRendersIt(value as unknown as Record<string, unknown>)).toBe(true);
      const [request] = value.action_requests;
      expect(request).toEqual({
        name: value.action_request.action,
        args: value.action_request.args,
        // Agent Inbox reads a v1 request first, and its editable fields from `arguments`
        // (agent-inbox src/components/agent-inbox/contexts/utils.ts, normalizeInterrupt).
        arguments: value.action_request.args,
        description: value.description,
      });
      expect(value.review_configs).toEqual([
        {
          action_name: value.action_request.action,
          allowed_decisions: ["approve", "edit", "reject"],
          args_schema: expect.objectContaining({ type: "object" }) as unknown,
        },
      ]);
    }
  });
});

describe("resuming from Agent Inbox", () => {
  it("an edit of the answer parses to an edit with the new answer, and is sent", async () => {
    const { value, resume } = await paused("answer");
    const payload = agentInboxEdit(value, "answer", "Tents keep you dry.");
    expect(parseResumeValue(payload)).toEqual({
      type: "edit",
      answer: "Tents keep you dry.",
      reasons: [],
    });
    const done = await resume(payload);
    expect(done.values).toMatchObject({ provenance: "edited", answer: "Tents keep you dry." });
  });

  it("an edit of chunk_ids comes back as the text of the field: a JSON list, or a plain one", async () => {
    const { value, resume } = await paused("retrieval");
    // The form shows the list as JSON; the reviewer deletes one id.
    const payload = agentInboxEdit(value, "chunk_ids", JSON.stringify([IDS[1]]));
    expect(parseResumeValue(payload)).toMatchObject({ type: "edit", chunk_ids: [IDS[1]] });
    expect(
      parseResumeValue(agentInboxEdit(value, "chunk_ids", `${IDS[1]}, ${IDS[0]}\n`)),
    ).toMatchObject({ type: "edit", chunk_ids: [IDS[1], IDS[0]] });
    expect(parseResumeValue(agentInboxEdit(value, "chunk_ids", `["${IDS[0]}",]`))).toMatchObject({
      chunk_ids: [IDS[0]],
    });
    expect(() => parseResumeValue(agentInboxEdit(value, "chunk_ids", "not-an-id"))).toThrow();
    const done = await resume(payload);
    expect(done.values.evidence.map((p) => p.chunk_id)).toEqual([IDS[1]]);
    expect(done.values.answer).toBe("Draft from 1 passage(s) [1]");
  });

  it("an unchanged edit form is sent as accept, with the args as they were", async () => {
    const { value, resume } = await paused("answer");
    const payload = [{ type: "accept", args: value.action_request }];
    expect(parseResumeValue(payload)).toMatchObject({ type: "approve" });
    expect((await resume(payload)).values.provenance).toBe("approved");
  });
});

describe("resuming with LangChain v1 decisions (Agent Chat UI)", () => {
  const answer = "Tents keep you dry.";

  it.each([
    [{ decisions: [{ type: "approve" }] }, { type: "approve" }],
    [
      { decisions: [{ type: "edit", edited_action: { name: "review_answer", args: { answer } } }] },
      { type: "edit", answer },
    ],
    // LangChain JS spells it editedAction.
    [
      { decisions: [{ type: "edit", editedAction: { name: "review_answer", args: { answer } } }] },
      { type: "edit", answer },
    ],
    [
      { decisions: [{ type: "reject", message: "needs a clinician" }] },
      { type: "reject", reasons: ["needs a clinician"] },
    ],
    [{ decisions: [{ type: "reject" }] }, { type: "reject", reasons: [] }],
    // A bare decision, without the list.
    [
      { type: "edit", edited_action: { name: "review_answer", args: { answer } } },
      { type: "edit", answer },
    ],
    [
      { type: "reject", message: "off topic" },
      { type: "reject", reasons: ["off topic"] },
    ],
    [
      {
        type: "edit",
        edited_action: { name: "review_retrieval", args: { chunk_ids: JSON.stringify([IDS[0]]) } },
      },
      { type: "edit", chunk_ids: [IDS[0]] },
    ],
    [
      {
        decisions: [
          { type: "edit", edited_action: { name: "review_retrieval", args: { chunk_ids: IDS } } },
        ],
      },
      { type: "edit", chunk_ids: IDS },
    ],
  ])("%j parses to %j", (value, decision) => {
    expect(parseResumeValue(value)).toMatchObject(decision);
  });

  it("a reject message too long for a reason is kept whole as the comment", () => {
    const message = "x".repeat(300);
    const decision = parseResumeValue({ decisions: [{ type: "reject", message }] });
    expect(decision).toMatchObject({ type: "reject", comment: message });
    expect(decision.reasons[0]).toHaveLength(200);
  });

  it("one decision only: the interrupt asks about one action", () => {
    expect(() =>
      parseResumeValue({ decisions: [{ type: "approve" }, { type: "approve" }] }),
    ).toThrow(/one decision/);
    expect(() => parseResumeValue({ decisions: [] })).toThrow(/one decision/);
  });

  it("Agent Chat UI's edit and reject resume the graph", async () => {
    const edit = await paused("answer", "v1-edit");
    const edited = await edit.resume({
      decisions: [{ type: "edit", edited_action: { name: "review_answer", args: { answer } } }],
    });
    expect(edited.values).toMatchObject({ provenance: "edited", answer });
    const reject = await paused("retrieval", "v1-reject");
    const rejected = await reject.resume({
      decisions: [{ type: "reject", message: "wrong passages" }],
    });
    expect(rejected.values).toMatchObject({
      provenance: "fallback",
      fallbackReason: "rejected at retrieval review: wrong passages",
    });
  });
});

describe("cardOfInterrupt", () => {
  it("reads the card from the new shape, and from one stored before it", async () => {
    const { value } = await paused("answer");
    const card = value.card;
    expect(cardOfInterrupt(value)).toBe(card);
    expect(cardOfInterrupt([value])).toBe(card);
    expect(cardOfInterrupt({ id: "i1", value })).toBe(card);
    // Before: the whole card was the action request's args.
    const old = {
      action_request: { action: "review_answer", args: card },
      config: value.config,
      description: "**Review the answer before it is sent.**",
    };
    expect(cardOfInterrupt(old)).toBe(card);
    expect(cardOfInterrupt(JSON.parse(JSON.stringify(old)))).toEqual(card);
  });

  it("refuses a value without a card", () => {
    expect(() =>
      cardOfInterrupt({ action_request: { action: "x", args: { answer: "a" } } }),
    ).toThrow(/no review card/);
    expect(() => cardOfInterrupt(null)).toThrow(/no review card/);
  });
});
