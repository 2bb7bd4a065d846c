/**
 * LangChain's two browser apps against signoff's Agent Protocol, over a real port: the request
 * sequences of Agent Inbox and Agent Chat UI, taken from their source and replayed with the
 * real `@langchain/langgraph-sdk` Client (support/agent-clients.ts, which names the files).
 * A client key asks; a reviewer key, which Agent Inbox sends as `x-api-key`, decides.
 */
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../src/graph/configuration.js";
import { ASSISTANT_ID } from "../src/protocol/assistant.js";
import {
  AgentInbox,
  ChatReviewForm,
  chatInterrupt,
  ChatSession,
  InboxForm,
  interruptsFromState,
  isAgentInboxInterruptSchema,
  type HITLRequest,
} from "./support/agent-clients.js";
import { testDatabases } from "./support/databases.js";
import { QUESTIONS } from "./support/flow.js";
import { createKeys, useHarness } from "./support/harness.js";
import { listen } from "./support/http.js";
import { until } from "./support/until.js";

/** Answered from the returns passages with a low retrieval score: pauses at the retrieval stage. */
const RETRIEVAL_REVIEW = "Is there a restocking charge for returns of unused kit?";

interface Values {
  answer?: string;
  provenance?: string;
  messages?: { type: string; content: unknown }[];
}

const keyOf = (headers: Record<string, string>) => headers.authorization!.replace(/^Bearer /, "");

/** A message's text, whether its content is a string or text parts. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  return (content as { type: string; text?: string }[])
    .map((p) => (p.type === "text" ? (p.text ?? "") : ""))
    .join("\n");
}

describe.each(testDatabases)("Agent Inbox and Agent Chat UI on signoff ($name)", (kind) => {
  const h = useHarness(kind);
  let server: Awaited<ReturnType<typeof listen>>;
  let apiUrl: string;
  let keys: Record<"admin" | "client" | "reviewer", string>;
  let asker: Client;

  beforeAll(async () => {
    server = await listen(h);
    apiUrl = `${server.url}/langgraph`;
    const made = await createKeys(h, { admin: "admin", client: "client", reviewer: "reviewer" });
    keys = { admin: keyOf(made.admin), client: keyOf(made.client), reviewer: keyOf(made.reviewer) };
    asker = new Client({ apiUrl, apiKey: keys.client });
  });
  afterAll(() => server?.close());

  /** The client's question, on a thread of its own, run until it pauses or finishes. */
  async function asked(question: string): Promise<string> {
    const thread = await asker.threads.create();
    await asker.runs.wait(thread.thread_id, "signoff", { input: { question } });
    return thread.thread_id;
  }

  async function review(threadId: string) {
    const { rows } = await h.db.pool.query<{
      decided_by: string;
      decision_type: string;
      decision: { reasons?: string[] };
    }>(
      "SELECT decided_by, decision_type, decision FROM reviews WHERE thread_id = $1 ORDER BY created_at",
      [threadId],
    );
    return rows;
  }

  describe("Agent Inbox", () => {
    const inbox = () => new AgentInbox(apiUrl, keys.reviewer, "signoff");

    /** The item as the inbox lists it, and its review form as it first shows. */
    async function opened(question: string) {
      const threadId = await asked(question);
      const item = await inbox().find(threadId);
      expect(item, "the interrupted thread is in the inbox").toBeDefined();
      return { threadId, item: item!, form: new InboxForm(item!.interrupts!) };
    }

    it("finds the interrupted thread with its search, and reads the interrupt as its form does", async () => {
      const threadId = await asked(QUESTIONS.highRisk);
      const item = await inbox().find(threadId);
      expect(item).toMatchObject({ status: "interrupted", invalidSchema: false });
      const [interrupt] = item!.interrupts!;
      // Read through its LangChain v1 branch (contexts/utils.ts `normalizeInterrupt`): the
      // action and the editable fields, and the buttons the allowed decisions give.
      expect(interrupt!.action_request.action).toBe("review_answer");
      expect(Object.keys(interrupt!.action_request.args)).toEqual(["answer"]);
      expect(interrupt!.action_request.args.answer).toMatch(/paracetamol/i);
      expect(interrupt!.config).toEqual({
        allow_accept: true,
        allow_edit: true,
        allow_respond: true,
        allow_ignore: false,
      });
      expect(interrupt!.description).toContain("**Review the answer before it is sent.**");
      // The thread view reads the same; so does the state, its fallback when a thread lists none.
      expect((await inbox().fetchSingleThread(threadId)).interrupts).toEqual(item!.interrupts);
      const state = await inbox().client.threads.getState(threadId);
      expect(interruptsFromState(state)).toEqual(item!.interrupts);
      // An inbox set up with the assistant's uuid finds it too; one for another graph does not.
      expect(
        await new AgentInbox(apiUrl, keys.reviewer, ASSISTANT_ID).find(threadId),
      ).toMatchObject({ status: "interrupted" });
      expect(
        await new AgentInbox(apiUrl, keys.reviewer, "another-graph").find(threadId),
      ).toBeUndefined();
      // Without a key there is no inbox at all.
      await expect(
        new AgentInbox(apiUrl, undefined, "signoff").fetchThreads(),
      ).rejects.toMatchObject({
        status: 401,
      });
    });

    it("accept: the form's Accept sends the args unchanged, and the draft goes out (approved)", async () => {
      const { threadId, item, form } = await opened(QUESTIONS.highRisk);
      const draft = item.interrupts![0]!.action_request.args.answer as string;
      expect(form.selectedSubmitType).toBe("accept");
      expect(form.submission()).toEqual({
        type: "accept",
        args: { action: "review_answer", args: { answer: draft } },
      });
      const { errors, after } = await inbox().submit(threadId, form);
      expect(errors).toEqual([]);
      // Read right after the stream ends, as the inbox does: the item is done.
      expect(after.status).toBe("idle");
      expect(after.thread.values).toMatchObject({ provenance: "approved", answer: draft });
      expect(await inbox().find(threadId)).toBeUndefined();
      expect(await review(threadId)).toMatchObject([
        { decided_by: "reviewer", decision_type: "approve" },
      ]);
    });

    it("edit: the answer typed into its field is what the user gets (edited)", async () => {
      const { threadId, item, form } = await opened(QUESTIONS.highRisk);
      const draft = item.interrupts![0]!.action_request.args.answer as string;
      expect(form.field("answer")).toBe(draft);
      const edited = "Adults should take at most 4,000 mg of paracetamol in 24 hours. [1]";
      form.editField("answer", edited);
      expect(form.selectedSubmitType).toBe("edit");
      // Every key of the args comes back, as the text of its field.
      expect(form.submission()).toEqual({
        type: "edit",
        args: { action: "review_answer", args: { answer: edited } },
      });
      const { errors, after } = await inbox().submit(threadId, form);
      expect(errors).toEqual([]);
      expect(after.status).toBe("idle");
      const values = after.thread.values as Values;
      expect(values).toMatchObject({ provenance: "edited", answer: edited });
      expect(await review(threadId)).toMatchObject([
        { decided_by: "reviewer", decision_type: "edit" },
      ]);
    });

    it("edit at the retrieval stage: chunk_ids as the JSON text of its field, cut to one passage", async () => {
      const { threadId, item, form } = await opened(RETRIEVAL_REVIEW);
      const [interrupt] = item.interrupts!;
      expect(interrupt!.action_request.action).toBe("review_retrieval");
      const ids = interrupt!.action_request.args.chunk_ids as string[];
      expect(ids.length).toBeGreaterThan(1);
      // The textarea shows the list as JSON; the reviewer deletes all ids but the first.
      expect(form.field("chunk_ids")).toBe(JSON.stringify(ids));
      form.editField("chunk_ids", JSON.stringify([ids[0]]));
      const sent = form.submission();
      expect(sent).toEqual({
        type: "edit",
        args: { action: "review_retrieval", args: { chunk_ids: JSON.stringify([ids[0]]) } },
      });
      const { errors, after } = await inbox().submit(threadId, form);
      expect(errors).toEqual([]);
      // The decision is the list the field held; the answer is written from that passage only.
      // That passage's one sentence ("return ... free of charge") does not say whether there is a
      // restocking charge, so the judge flags the draft and the thread pauses again, for the answer.
      expect(after.status).toBe("interrupted");
      const [next] = after.interrupts!;
      expect(next!.action_request.action).toBe("review_answer");
      expect(next!.action_request.args.answer).toMatch(/\[1\]$/);
      const values = after.thread.values as {
        decisions: unknown[];
        evidence: { chunk_id: string }[];
        draft: { citations: { chunk_id: string }[] };
      };
      expect(values.decisions).toEqual([
        { type: "edit", chunk_ids: [ids[0]], reasons: [], stage: "retrieval" },
      ]);
      expect(values.evidence.map((p) => p.chunk_id)).toEqual([ids[0]]);
      expect(values.draft.citations.map((c) => c.chunk_id)).toEqual([ids[0]]);
      const [retrievalReview] = await review(threadId);
      expect(retrievalReview).toMatchObject({ decided_by: "reviewer", decision_type: "edit" });
    });

    it("response: the reviewer's own words are the answer (human)", async () => {
      const { threadId, form } = await opened(QUESTIONS.unanswerable);
      form.respond("Ulaanbaatar is the capital of Mongolia.");
      expect(form.submission()).toEqual({
        type: "response",
        args: "Ulaanbaatar is the capital of Mongolia.",
      });
      const { errors, after } = await inbox().submit(threadId, form);
      expect(errors).toEqual([]);
      expect(after.status).toBe("idle");
      expect(after.thread.values).toMatchObject({
        provenance: "human",
        answer: "Ulaanbaatar is the capital of Mongolia.",
      });
    });

    it("ignore: a background run; the item leaves the inbox at once and the user gets the fallback", async () => {
      const { threadId, form } = await opened(QUESTIONS.highRisk);
      expect(form.ignore()).toEqual({ type: "ignore", args: null });
      const { run, inbox: refetched } = await inbox().ignore(threadId, form);
      expect(run.thread_id).toBe(threadId);
      expect(refetched.map((i) => i.thread.thread_id)).not.toContain(threadId);
      await until(
        async () => (await asker.threads.get(threadId)).status === "idle",
        "the ignored thread to finish",
      );
      const done = await asker.threads.get<Values>(threadId);
      expect(done.values).toMatchObject({
        provenance: "fallback",
        answer: DEFAULT_SETTINGS.fallbackAnswer,
      });
      expect(await review(threadId)).toMatchObject([
        { decided_by: "reviewer", decision_type: "reject" },
      ]);
    });

    it("mark as resolved: the item leaves the inbox, recorded as the reviewer's rejection", async () => {
      const { threadId } = await opened(QUESTIONS.highRisk);
      const { inbox: refetched } = await inbox().resolve(threadId);
      expect(refetched.map((i) => i.thread.thread_id)).not.toContain(threadId);
      await until(
        async () => (await asker.threads.get(threadId)).status === "idle",
        "the resolved thread to finish",
      );
      expect((await asker.threads.get<Values>(threadId)).values).toMatchObject({
        provenance: "fallback",
      });
      const [decided] = await review(threadId);
      expect(decided).toMatchObject({ decided_by: "reviewer", decision_type: "reject" });
      expect(decided!.decision.reasons).toEqual(["marked resolved in Agent Inbox"]);
    });

    it("two reviewers on one item: the second submit is a 409 and changes nothing", async () => {
      const { threadId, item, form } = await opened(QUESTIONS.highRisk);
      const other = new InboxForm(item.interrupts!); // the same item, open in another tab
      form.editField("answer", "The first reviewer's answer.");
      await inbox().submit(threadId, form);
      await expect(inbox().submit(threadId, other)).rejects.toMatchObject({ status: 409 });
      const done = await asker.threads.get<Values>(threadId);
      expect(done.values).toMatchObject({
        provenance: "edited",
        answer: "The first reviewer's answer.",
      });
      expect(await review(threadId)).toHaveLength(1);
    });
  });

  describe("Agent Chat UI", () => {
    /** components/thread/index.tsx `handleSubmit`: a human message with a text part. */
    function humanMessage(text: string) {
      return { id: crypto.randomUUID(), type: "human", content: [{ type: "text", text }] };
    }

    /** The asker's chat: the question, submitted with the options handleSubmit gives. */
    async function chatAsked(question: string) {
      const chat = new ChatSession(apiUrl, keys.client, "signoff");
      await chat.submit(
        { messages: [humanMessage(question)] },
        { streamMode: ["values"], streamSubgraphs: true, streamResumable: true },
      );
      return chat;
    }

    /** A reviewer opening the chat's `?threadId=` in their own tab, and its review form. */
    async function reviewerTab(threadId: string) {
      const tab = new ChatSession(apiUrl, keys.reviewer, "signoff");
      await tab.open(threadId);
      const interrupt = tab.interrupt as { value: HITLRequest };
      expect(isAgentInboxInterruptSchema(interrupt)).toBe(true);
      return { tab, form: new ChatReviewForm(interrupt.value) };
    }

    /** use-interrupted-actions.tsx `resumeRun`: `submit({}, {command: {resume: {decisions}}})`. */
    const resume = (tab: ChatSession, form: ChatReviewForm) =>
      tab.submit({}, { command: { resume: { decisions: [form.decision()] } } });

    it("streams values with messages, ends on a v1 interrupt; a reviewer approves from the thread", async () => {
      // src/providers/Stream.tsx checks the server first: GET /info with its key.
      const info = await fetch(`${apiUrl}/info`, { headers: { "X-Api-Key": keys.client } });
      expect(info.ok).toBe(true);
      const chat = await chatAsked(QUESTIONS.highRisk);
      const threadId = chat.threadId!;
      expect(chat.lastRequest).toMatchObject({
        input: { messages: [{ type: "human" }] },
        streamMode: ["values", "messages-tuple", "custom"],
        streamSubgraphs: true,
        streamResumable: true,
        onDisconnect: "continue",
        checkpoint: undefined,
      });
      // The stream: values carrying the conversation, then the interrupt, last.
      expect(chat.events[0]!.event).toBe("metadata");
      const withMessages = chat.events.filter(
        (e) => e.event === "values" && (e.data as Values).messages?.length,
      );
      expect(withMessages.length).toBeGreaterThan(0);
      const [asked] = (withMessages.at(-1)!.data as Values).messages!;
      expect(asked).toMatchObject({ type: "human" });
      expect(textOf(asked!.content)).toBe(QUESTIONS.highRisk);
      // The graph got the message as sent: Chat UI keys its per-message state by this id.
      const sent = (chat.lastRequest!.input as { messages: { id: string }[] }).messages[0]!;
      expect((asked as { id?: string }).id).toBe(sent.id);
      const last = chat.events.at(-1)!;
      expect(last.event).toBe("values");
      // The asker's key is a client's: it learns that a human is reviewing, not the draft (no
      // review form: Chat UI shows the pending interrupt as it is).
      const [streamed] = (last.data as { __interrupt__: { value: Record<string, unknown> }[] })
        .__interrupt__;
      expect(streamed!.value).toEqual({
        review: "pending",
        stage: "answer",
        action: "review_answer",
        description: expect.any(String),
      });
      expect(JSON.stringify(chat.events)).not.toContain('"draft"');
      expect(isAgentInboxInterruptSchema(chatInterrupt(chat.streamed!))).toBe(false);
      expect(chat.streamed!.messages).toHaveLength(1);
      expect(chat.interrupt).toBeDefined();
      expect(chat.messages.map((m) => m.type)).toEqual(["human"]);
      // Its thread list (src/providers/Thread.tsx), by graph id, or by assistant id.
      const listed = await chat.client.threads.search({
        metadata: { graph_id: "signoff" },
        limit: 100,
      });
      expect(listed.map((t) => t.thread_id)).toContain(threadId);
      const byAssistant = await chat.client.threads.search({
        metadata: { assistant_id: ASSISTANT_ID },
        limit: 100,
      });
      expect(byAssistant.map((t) => t.thread_id)).toContain(threadId);
      // The asker's own Approve: a client key does not decide reviews.
      await expect(
        chat.submit({}, { command: { resume: { decisions: [{ type: "approve" }] } } }),
      ).rejects.toMatchObject({ status: 403 });

      const { tab, form } = await reviewerTab(threadId);
      // The reviewer's tab gets the v1 request Chat UI renders as a review form.
      const request = (tab.interrupt as { value: HITLRequest }).value;
      expect(request.action_requests).toMatchObject([{ name: "review_answer" }]);
      expect(Object.keys(request.action_requests[0]!.args)).toEqual(["answer"]);
      expect(request.review_configs).toMatchObject([
        { action_name: "review_answer", allowed_decisions: ["approve", "edit", "reject"] },
      ]);
      expect(form.decision()).toEqual({ type: "approve" });
      await resume(tab, form);
      expect(tab.lastRequest).toMatchObject({
        input: {},
        command: { resume: { decisions: [{ type: "approve" }] } },
        streamMode: ["messages-tuple", "values", "custom"],
        streamResumable: false,
        onDisconnect: "cancel",
        checkpoint: undefined,
      });
      const final = tab.streamed as Values;
      expect(final).not.toHaveProperty("__interrupt__");
      expect(final.provenance).toBe("approved");
      expect(final.messages!.map((m) => m.type)).toEqual(["human", "ai"]);
      expect(textOf(final.messages![0]!.content)).toBe(QUESTIONS.highRisk);
      expect(final.messages![1]!.content).toBe(final.answer);
      expect(tab.interrupt).toBeUndefined();
      // The asker's tab, reloaded: the answer, and nothing left to review.
      await chat.open(threadId);
      expect(chat.interrupt).toBeUndefined();
      expect(chat.messages.map((m) => [m.type, textOf(m.content)])).toEqual([
        ["human", QUESTIONS.highRisk],
        ["ai", final.answer],
      ]);
    });

    it("edit: edited_action with the corrected answer becomes the AI message (edited)", async () => {
      const chat = await chatAsked(QUESTIONS.highRisk);
      const { tab, form } = await reviewerTab(chat.threadId!);
      const edited = "Up to 4,000 mg in 24 hours for most adults; ask a pharmacist first.";
      form.editField("answer", edited);
      expect(form.decision()).toEqual({
        type: "edit",
        edited_action: { name: "review_answer", args: { answer: edited } },
      });
      await resume(tab, form);
      expect(tab.streamed).toMatchObject({ provenance: "edited", answer: edited });
      expect(tab.messages.map((m) => [m.type, textOf(m.content)])).toEqual([
        ["human", QUESTIONS.highRisk],
        ["ai", edited],
      ]);
    });

    it("reject with a message: the fallback reply, the message kept as the reason", async () => {
      const chat = await chatAsked(QUESTIONS.unanswerable);
      const { tab, form } = await reviewerTab(chat.threadId!);
      expect(form.responses.map((r) => r.type)).toEqual(["edit", "approve", "reject"]);
      form.reject("Out of scope for this assistant.");
      await resume(tab, form);
      expect(tab.streamed).toMatchObject({
        provenance: "fallback",
        answer: DEFAULT_SETTINGS.fallbackAnswer,
      });
      const [decided] = await review(chat.threadId!);
      expect(decided).toMatchObject({ decided_by: "reviewer", decision_type: "reject" });
      expect(decided!.decision.reasons).toEqual(["Out of scope for this assistant."]);
    });
  });
});
