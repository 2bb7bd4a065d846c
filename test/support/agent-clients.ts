/**
 * LangChain's two browser apps for Agent Protocol servers, replayed with the SDK Client they use:
 * the calls they make, with their options, and the resume payloads their forms build. Each part
 * is a condensed port of the apps' code (no React), naming the file it comes from.
 * - Agent Inbox, github.com/langchain-ai/agent-inbox at f38301b9 (`@langchain/langgraph-sdk`
 *   ^1.9.25, a plain Client).
 * - Agent Chat UI, github.com/langchain-ai/agent-chat-ui at fdc87e65 (`useStream` from
 *   `@langchain/langgraph-sdk/react`). The hook's requests are replayed as the SDK installed here
 *   (1.15.0) makes them, in dist/react/stream.lgp.js; its helpers that read the answers
 *   (`getBranchContext`, the interrupt readers) are the SDK's own, from `@langchain/langgraph-sdk/ui`.
 */
import { Client, type Thread, type ThreadState } from "@langchain/langgraph-sdk";
import {
  getBranchContext,
  userFacingInterruptsFromThreadTasks,
  userFacingInterruptsFromValuesArray,
} from "@langchain/langgraph-sdk/ui";

// ---------------------------------------------------------------------------------------------
// Agent Inbox
// ---------------------------------------------------------------------------------------------

/** src/components/agent-inbox/types.ts */
export interface HumanInterrupt {
  action_request: { action: string; args: Record<string, any> };
  config: {
    allow_ignore: boolean;
    allow_respond: boolean;
    allow_edit: boolean;
    allow_accept: boolean;
  };
  description?: string;
}

/** src/components/agent-inbox/types.ts */
export interface HumanResponse {
  type: "accept" | "ignore" | "response" | "edit";
  args: null | string | { action: string; args: Record<string, any> };
}

type HumanResponseWithEdits = HumanResponse & { acceptAllowed?: boolean; editsMade?: boolean };
type InboxSubmitType = "accept" | "response" | "edit";

/** src/components/agent-inbox/constants.ts */
export const IMPROPER_SCHEMA = "improper_schema";

export interface InboxItem {
  thread: Thread;
  status: string;
  interrupts: HumanInterrupt[] | undefined;
  invalidSchema: boolean | undefined;
}

const improper = (): HumanInterrupt => ({
  action_request: { action: IMPROPER_SCHEMA, args: {} },
  config: { allow_ignore: true, allow_respond: false, allow_edit: false, allow_accept: false },
});

/**
 * src/components/agent-inbox/contexts/utils.ts `normalizeInterrupt`: a LangChain v1 HITL request
 * (`action_requests`, `review_configs`) read as a HumanInterrupt. Agent Inbox tries it first, and
 * takes the editable fields from the request's `arguments`.
 */
function normalizeInterrupt(raw: unknown): HumanInterrupt | null {
  if (!raw || typeof raw !== "object") return null;
  const data = raw as Record<string, unknown>;
  if (!Array.isArray(data.action_requests) || data.action_requests.length === 0) return null;
  const req = data.action_requests[0] as Record<string, unknown>;
  const reviewConfigs = Array.isArray(data.review_configs) ? data.review_configs : [];
  const firstConfig = reviewConfigs[0] as Record<string, unknown> | undefined;
  const decisions: string[] = Array.isArray(firstConfig?.allowed_decisions)
    ? (firstConfig.allowed_decisions as string[])
    : [];
  return {
    action_request: {
      action: (req.name as string) ?? "",
      args: (req.arguments as Record<string, unknown>) ?? {},
    },
    config: {
      allow_accept: decisions.includes("approve"),
      allow_edit: decisions.includes("edit"),
      allow_respond: decisions.includes("reject"),
      allow_ignore: false,
    },
    description: req.description as string | undefined,
  };
}

/**
 * src/components/agent-inbox/contexts/utils.ts `getInterruptFromThread`, the branch a server
 * that lists `{id, value}` interrupts by task takes: the v1 request first, then a HumanInterrupt
 * value, else the "improper schema" card.
 */
export function getInterruptFromThread(thread: Thread): HumanInterrupt[] | undefined {
  if (!thread.interrupts || Object.values(thread.interrupts).length === 0) return undefined;
  return Object.values(thread.interrupts).flatMap((interrupt) => {
    const first = (interrupt as { value?: unknown }[])[0];
    if (first?.value === undefined) return improper();
    const normalized = normalizeInterrupt(first.value);
    if (normalized) return normalized;
    const value = first.value as Record<string, unknown>;
    if (value && typeof value === "object" && "action_request" in value && "config" in value) {
      return value as unknown as HumanInterrupt;
    }
    return improper();
  });
}

/** src/components/agent-inbox/contexts/utils.ts `processThreadWithoutInterrupts` (from state). */
export function interruptsFromState(state: ThreadState): HumanInterrupt[] | undefined {
  const lastTask = state.tasks[state.tasks.length - 1];
  const lastInterrupt = lastTask?.interrupts[lastTask.interrupts.length - 1];
  if (!lastInterrupt || !("value" in lastInterrupt)) return undefined;
  const normalized = normalizeInterrupt(lastInterrupt.value);
  return normalized ? [normalized] : (lastInterrupt.value as HumanInterrupt[]);
}

/** What a form field shows (and a reset puts back): text, or the value as JSON. */
const fieldText = (v: unknown): string =>
  typeof v === "string" || typeof v === "number" ? v.toString() : JSON.stringify(v, null);

/** src/components/agent-inbox/utils.ts `haveArgsChanged` */
function haveArgsChanged(args: unknown, initialValues: Record<string, string>): boolean {
  if (typeof args !== "object" || !args) return false;
  return Object.entries(args as Record<string, unknown>).some(
    ([key, value]) => initialValues[key] !== fieldText(value),
  );
}

/**
 * The review form of an interrupted item: src/components/agent-inbox/utils.ts
 * `createDefaultHumanResponse` builds its responses, components/inbox-item-input.tsx
 * (`onEditChange`, `onResponseChange`) changes them as the reviewer types, and
 * hooks/use-interrupted-actions.tsx (`handleSubmit`, `handleIgnore`) picks what is sent.
 */
export class InboxForm {
  responses: HumanResponseWithEdits[] = [];
  selectedSubmitType: InboxSubmitType | undefined;
  readonly initialValues: Record<string, string> = {};
  private readonly acceptAllowed: boolean;
  private hasEdited = false;
  private hasAddedResponse = false;

  constructor(interrupts: HumanInterrupt[]) {
    const interrupt = interrupts[0]!;
    if (interrupt.config.allow_edit) {
      if (interrupt.config.allow_accept) {
        for (const [k, v] of Object.entries(interrupt.action_request.args)) {
          this.initialValues[k] = fieldText(v);
        }
        const args = interrupt.action_request;
        this.responses.push({ type: "edit", args, acceptAllowed: true, editsMade: false });
      } else {
        this.responses.push({ type: "edit", args: interrupt.action_request, acceptAllowed: false });
      }
    }
    if (interrupt.config.allow_respond) this.responses.push({ type: "response", args: "" });
    if (interrupt.config.allow_ignore) this.responses.push({ type: "ignore", args: null });
    const acceptAllowedConfig = interrupts.find((i) => i.config.allow_accept);
    const ignoreAllowedConfig = interrupts.find((i) => i.config.allow_ignore);
    const hasAccept = this.responses.find((r) => r.acceptAllowed) ?? acceptAllowedConfig;
    if (hasAccept) this.selectedSubmitType = "accept";
    else if (this.responses.some((r) => r.type === "response"))
      this.selectedSubmitType = "response";
    else if (this.responses.some((r) => r.type === "edit")) this.selectedSubmitType = "edit";
    if (acceptAllowedConfig && !this.responses.some((r) => r.type === "accept")) {
      this.responses.push({ type: "accept", args: null });
    }
    if (ignoreAllowedConfig && !this.responses.some((r) => r.type === "ignore")) {
      this.responses.push({ type: "ignore", args: null });
    }
    this.acceptAllowed = Boolean(hasAccept);
  }

  /** The edit card's textarea for `key`, as the reviewer sees it. */
  field(key: string): string {
    const edit = this.responses.find((r) => r.type === "edit");
    const args = (edit?.args as { args: Record<string, unknown> } | undefined)?.args ?? {};
    return fieldText(args[key]);
  }

  /** The reviewer types `text` into the edit card's textarea for `key` (`onEditChange`). */
  editField(key: string, text: string): void {
    const edit = this.responses.find((r) => r.type === "edit");
    if (!edit || typeof edit.args !== "object" || !edit.args) throw new Error("no edit card");
    const updatedArgs = { ...edit.args.args, [key]: text };
    const valuesChanged = haveArgsChanged(updatedArgs, this.initialValues);
    if (!valuesChanged) {
      this.hasEdited = false;
      if (this.acceptAllowed) this.selectedSubmitType = "accept";
      else if (this.hasAddedResponse) this.selectedSubmitType = "response";
    } else {
      this.selectedSubmitType = "edit";
      this.hasEdited = true;
    }
    const newEdit: HumanResponseWithEdits = {
      type: "edit",
      args: { action: edit.args.action, args: updatedArgs },
    };
    this.responses = this.responses.map((p) =>
      p === edit
        ? p.acceptAllowed
          ? { ...newEdit, acceptAllowed: true, editsMade: valuesChanged }
          : newEdit
        : p,
    );
  }

  /** The reviewer types into "Respond to assistant" (`onResponseChange`). */
  respond(text: string): void {
    if (!text) {
      this.hasAddedResponse = false;
      if (this.hasEdited) this.selectedSubmitType = "edit";
      else if (this.acceptAllowed) this.selectedSubmitType = "accept";
    } else {
      this.selectedSubmitType = "response";
      this.hasAddedResponse = true;
    }
    this.responses = this.responses.map((p) =>
      p.type === "response"
        ? p.acceptAllowed
          ? { type: "response", args: text, acceptAllowed: true, editsMade: !!text }
          : { type: "response", args: text }
        : p,
    );
  }

  /** The one response `handleSubmit` sends for the selected submit type. */
  submission(): HumanResponse {
    const input = this.responses
      .flatMap((r): HumanResponse[] => {
        if (r.type === "edit") {
          return r.acceptAllowed && !r.editsMade
            ? [{ type: "accept", args: r.args }]
            : [{ type: "edit", args: r.args }];
        }
        if (r.type === "response" && !r.args) return [];
        return [{ type: r.type, args: r.args }];
      })
      .find((r) => r.type === this.selectedSubmitType);
    if (!input) throw new Error("No response found.");
    return input;
  }

  /** The response `handleIgnore` sends. */
  ignore(): HumanResponse {
    const found = this.responses.find((r) => r.type === "ignore");
    return found ? { type: found.type, args: found.args } : { type: "ignore", args: null };
  }
}

/** An inbox of Agent Inbox's settings: a deployment, its graph, and the LangSmith API key field. */
export class AgentInbox {
  readonly client: Client;

  constructor(
    deploymentUrl: string,
    langchainApiKey: string | undefined,
    readonly graphId: string,
  ) {
    // src/lib/client.ts `createClient`: the key goes as `x-api-key`, not as the SDK's apiKey.
    this.client = new Client({
      apiUrl: deploymentUrl,
      defaultHeaders: { ...(langchainApiKey && { "x-api-key": langchainApiKey }) },
    });
  }

  /** contexts/utils.ts `getThreadFilterMetadata`: the graph, or the assistant when a uuid. */
  private filterMetadata() {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
    return uuid.test(this.graphId) ? { assistant_id: this.graphId } : { graph_id: this.graphId };
  }

  /**
   * contexts/ThreadContext.tsx `fetchThreads`: a page of the inbox ("interrupted" is the
   * default inbox, components/inbox-buttons.tsx; limit 10 and offset 0 the default page,
   * components/pagination.tsx), each thread's interrupts read from the thread, or from its
   * state when it lists none.
   */
  async fetchThreads(
    inbox: "interrupted" | "idle" | "busy" | "error" | "all" = "interrupted",
    page: { limit: number; offset: number } = { limit: 10, offset: 0 },
  ): Promise<InboxItem[]> {
    const threads = await this.client.threads.search({
      offset: page.offset,
      limit: page.limit,
      ...(inbox !== "all" ? { status: inbox } : {}),
      metadata: this.filterMetadata(),
    });
    const items = await Promise.all(threads.map((thread) => this.itemOf(thread)));
    return items.sort(
      (a, b) => new Date(b.thread.created_at).getTime() - new Date(a.thread.created_at).getTime(),
    );
  }

  /** The inbox's pages, next after next (components/pagination.tsx), until `threadId` is on one. */
  async find(threadId: string, inbox: "interrupted" | "all" = "interrupted") {
    for (let offset = 0; ; offset += 10) {
      const page = await this.fetchThreads(inbox, { limit: 10, offset });
      const item = page.find((i) => i.thread.thread_id === threadId);
      if (item || page.length < 10) return item;
    }
  }

  /** contexts/ThreadContext.tsx `fetchSingleThread`: the thread view. */
  async fetchSingleThread(threadId: string): Promise<InboxItem> {
    return this.itemOf(await this.client.threads.get(threadId));
  }

  private async itemOf(thread: Thread): Promise<InboxItem> {
    if (thread.status !== "interrupted") {
      return { thread, status: thread.status, interrupts: undefined, invalidSchema: undefined };
    }
    let interrupts = getInterruptFromThread(thread);
    if (!interrupts?.length) {
      interrupts = interruptsFromState(await this.client.threads.getState(thread.thread_id));
    }
    return {
      thread,
      status: "interrupted",
      interrupts,
      invalidSchema:
        !interrupts?.length ||
        interrupts.some(
          (i) => i?.action_request?.action === IMPROPER_SCHEMA || !i?.action_request?.action,
        ),
    };
  }

  /**
   * hooks/use-interrupted-actions.tsx `handleSubmit` through ThreadContext.tsx
   * `sendHumanResponse(threadId, [input], {stream: true})`: the one response as the resume, the
   * run streamed in "events" mode (its chunks show the node running and any error), then the
   * thread read again to show what it waits on next, if anything.
   */
  async submit(threadId: string, form: InboxForm) {
    const chunks: { event: string; data: any }[] = [];
    for await (const chunk of this.client.runs.stream(threadId, this.graphId, {
      command: { resume: [form.submission()] },
      streamMode: "events",
    })) {
      chunks.push(chunk);
    }
    const errors = chunks.filter((c) => c.event === "error");
    return { chunks, errors, after: await this.fetchSingleThread(threadId) };
  }

  /**
   * hooks/use-interrupted-actions.tsx `handleIgnore`: `sendHumanResponse` without streaming (a
   * background run), then the inbox fetched again.
   */
  async ignore(threadId: string, form: InboxForm) {
    const run = await this.client.runs.create(threadId, this.graphId, {
      command: { resume: [form.ignore()] },
    });
    return { run, inbox: await this.fetchThreads() };
  }

  /**
   * hooks/use-interrupted-actions.tsx `handleResolve` ("Mark as resolved") through
   * ThreadContext.tsx `ignoreThread`: the thread's state set to nothing, as from END.
   */
  async resolve(threadId: string) {
    await this.client.threads.updateState(threadId, { values: null, asNode: "__end__" });
    return { inbox: await this.fetchThreads() };
  }
}

// ---------------------------------------------------------------------------------------------
// Agent Chat UI
// ---------------------------------------------------------------------------------------------

/** src/components/thread/agent-inbox/types.ts */
export interface HITLRequest {
  action_requests: { name: string; args: Record<string, unknown>; description?: string }[];
  review_configs: {
    action_name: string;
    allowed_decisions: ("approve" | "edit" | "reject")[];
    args_schema?: Record<string, unknown>;
  }[];
}

/** src/components/thread/agent-inbox/types.ts */
export type Decision =
  | { type: "approve" }
  | { type: "reject"; message?: string }
  | { type: "edit"; edited_action: { name: string; args: Record<string, unknown> } };

type DecisionWithEdits =
  | { type: "approve" }
  | { type: "reject"; message?: string }
  | {
      type: "edit";
      edited_action: { name: string; args: Record<string, unknown> };
      acceptAllowed?: boolean;
      editsMade?: boolean;
    };

interface ChatInterrupt {
  id?: string;
  value?: unknown;
  when?: string;
}

/** src/lib/agent-inbox-interrupt.ts `isAgentInboxInterruptSchema`: whether it renders the form. */
export function isAgentInboxInterruptSchema(value: unknown): boolean {
  const interrupt = (Array.isArray(value) ? value[0] : value) as ChatInterrupt | undefined;
  if (!interrupt || typeof interrupt !== "object") return false;
  if (!interrupt.value || typeof interrupt.value !== "object") return false;
  const { action_requests: actionRequests, review_configs: reviewConfigs } =
    interrupt.value as Partial<HITLRequest>;
  if (!Array.isArray(actionRequests) || actionRequests.length === 0) return false;
  if (!Array.isArray(reviewConfigs) || reviewConfigs.length === 0) return false;
  return (
    actionRequests.every(
      (r) =>
        r &&
        typeof r === "object" &&
        typeof r.name === "string" &&
        r.args !== null &&
        typeof r.args === "object",
    ) &&
    reviewConfigs.every(
      (c) =>
        c &&
        typeof c === "object" &&
        typeof c.action_name === "string" &&
        Array.isArray(c.allowed_decisions),
    )
  );
}

/**
 * The review form Agent Chat UI renders for a HITL interrupt: components/thread/agent-inbox/
 * utils.ts `createDefaultHumanResponse` and `buildDecisionFromState`, and
 * components/inbox-item-input.tsx `onEditChange` / `onRejectChange`.
 */
export class ChatReviewForm {
  responses: DecisionWithEdits[] = [];
  selectedSubmitType: "approve" | "edit" | "reject" | undefined;
  readonly initialValues: Record<string, string> = {};
  private readonly approveAllowed: boolean;
  private hasAddedResponse = false;

  constructor(hitl: HITLRequest) {
    const actionRequest = hitl.action_requests[0]!;
    const reviewConfig =
      hitl.review_configs.find((c) => c.action_name === actionRequest.name) ??
      hitl.review_configs[0]!;
    const allowed = reviewConfig.allowed_decisions ?? [];
    if (allowed.includes("edit")) {
      for (const [key, value] of Object.entries(actionRequest.args)) {
        this.initialValues[key] = fieldText(value);
      }
      this.responses.push({
        type: "edit",
        edited_action: { name: actionRequest.name, args: { ...actionRequest.args } },
        acceptAllowed: allowed.includes("approve"),
        editsMade: false,
      });
    }
    if (allowed.includes("approve")) this.responses.push({ type: "approve" });
    if (allowed.includes("reject")) this.responses.push({ type: "reject", message: "" });
    if (allowed.includes("approve")) this.selectedSubmitType = "approve";
    else if (allowed.includes("reject")) this.selectedSubmitType = "reject";
    else if (allowed.includes("edit")) this.selectedSubmitType = "edit";
    this.approveAllowed = allowed.includes("approve");
  }

  editField(key: string, text: string): void {
    const edit = this.responses.find((r) => r.type === "edit");
    if (!edit) throw new Error("no edit card");
    const newArgs = { ...edit.edited_action.args, [key]: text };
    const valuesChanged = haveArgsChanged(newArgs, this.initialValues);
    if (!valuesChanged) {
      if (this.approveAllowed) this.selectedSubmitType = "approve";
      else if (this.hasAddedResponse) this.selectedSubmitType = "reject";
    } else {
      this.selectedSubmitType = "edit";
    }
    const newEdit = {
      type: "edit" as const,
      edited_action: { name: edit.edited_action.name, args: newArgs },
    };
    this.responses = this.responses.map((r) =>
      r.type !== "edit"
        ? r
        : r.acceptAllowed
          ? { ...newEdit, acceptAllowed: true, editsMade: valuesChanged }
          : newEdit,
    );
  }

  reject(message: string): void {
    const trimmed = message.trim();
    this.hasAddedResponse = !!trimmed;
    if (trimmed) this.selectedSubmitType = "reject";
    this.responses = this.responses.map((r) =>
      r.type === "reject" ? { type: "reject", message } : r,
    );
  }

  decision(): Decision {
    const selected = this.responses.find((r) => r.type === this.selectedSubmitType);
    if (!selected) throw new Error("No response selected.");
    if (selected.type === "approve") return { type: "approve" };
    if (selected.type === "reject") {
      const message = selected.message?.trim();
      if (!message) throw new Error("Please provide a rejection reason.");
      return { type: "reject", message };
    }
    if (selected.acceptAllowed && !selected.editsMade) return { type: "approve" };
    return { type: "edit", edited_action: selected.edited_action };
  }
}

interface ChatSubmitOptions {
  command?: { resume?: unknown; goto?: string };
  streamMode?: string[];
  streamSubgraphs?: boolean;
  streamResumable?: boolean;
  onDisconnect?: "cancel" | "continue";
  config?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  checkpoint?: unknown;
}

const unique = <T>(items: T[]) => [...new Set(items)];

/**
 * The hook's `interrupt` (dist/react/stream.lgp.js `interrupts`): from the values'
 * `__interrupt__` while a run streams, else from the tasks of the history's head.
 */
export function chatInterrupt(
  values: Record<string, any>,
  head?: ThreadState,
): ChatInterrupt | ChatInterrupt[] | undefined {
  let all: ChatInterrupt[];
  if ("__interrupt__" in values && Array.isArray(values.__interrupt__)) {
    all = userFacingInterruptsFromValuesArray(values.__interrupt__);
  } else {
    const fromTasks = userFacingInterruptsFromThreadTasks(
      (head?.tasks ?? []).flatMap((t) => t.interrupts ?? []),
    );
    all = fromTasks ?? ((head?.next ?? []).length ? [{ when: "breakpoint" }] : []);
  }
  if (all.length === 0) return undefined;
  return all.length === 1 ? all[0] : all;
}

/**
 * One browser tab of Agent Chat UI: src/providers/Stream.tsx's `useStream({apiUrl, apiKey,
 * assistantId, threadId, fetchStateHistory: true, onCustomEvent, onThreadId})`, replayed as
 * the hook's dist/react/stream.lgp.js makes its requests.
 */
export class ChatSession {
  readonly client: Client;
  threadId: string | null = null;
  history: ThreadState<Record<string, unknown>>[] | undefined;
  /** The stream's values while a run streams (null after it: the history's head is shown). */
  streamValues: Record<string, any> | null = null;
  /** What the last submit sent to runs.stream, the events it got back, and its last values. */
  lastRequest: Record<string, unknown> | undefined;
  events: { event: string; data: any }[] = [];
  streamed: Record<string, any> | null = null;
  /**
   * Stream modes the UI subscribes to: components read `stream.messages` and `stream.values`
   * (`trackStreamMode("messages-tuple", "values")`), and `onCustomEvent` adds "custom".
   */
  private readonly trackedModes = ["messages-tuple", "values"];
  private readonly callbackModes = ["custom"];

  constructor(
    apiUrl: string,
    apiKey: string | undefined,
    readonly assistantId: string,
  ) {
    this.client = new Client({
      apiUrl,
      apiKey,
      callerOptions: undefined,
      defaultHeaders: undefined,
    });
  }

  /** Opening `?threadId=…`: the hook reads the thread's history (`fetchStateHistory: true`). */
  async open(threadId: string): Promise<void> {
    this.threadId = threadId;
    this.streamValues = null;
    await this.fetchHistory();
  }

  /** `fetchHistory(client, threadId, {limit: true})`: getHistory with the default limit, 10. */
  async fetchHistory(): Promise<void> {
    this.history = await this.client.threads.getHistory<Record<string, unknown>>(this.threadId!, {
      limit: 10,
    });
  }

  get threadHead(): ThreadState | undefined {
    return getBranchContext("", this.history).threadHead;
  }

  get values(): Record<string, any> {
    return this.streamValues ?? (this.threadHead?.values as Record<string, any>) ?? {};
  }

  get messages(): { type: string; content: unknown; id?: string }[] {
    return (this.values.messages as { type: string; content: unknown }[]) ?? [];
  }

  /** The hook's `interrupt` getter. */
  get interrupt(): ChatInterrupt | ChatInterrupt[] | undefined {
    return chatInterrupt(this.values, this.threadHead);
  }

  /**
   * `submit(values, options)` (the hook's `submitToThread`): a thread first if there is none,
   * then runs.stream with the hook's stream modes, checkpoint and disconnect mode; the values
   * folded as its StreamManager does; after the run, the history read again and shown.
   */
  async submit(
    values: Record<string, unknown> | null | undefined,
    options: ChatSubmitOptions = {},
  ): Promise<void> {
    if (!this.threadId) {
      const thread = await this.client.threads.create({
        threadId: undefined,
        metadata: options.metadata,
      });
      this.threadId = thread.thread_id;
    }
    const streamMode = unique([
      ...(options.streamMode ?? []),
      ...this.trackedModes,
      ...this.callbackModes,
    ]);
    // fetchStateHistory: the head shown is sent as the checkpoint unless it is the latest.
    const head = this.threadHead;
    const viewingLatest =
      head?.checkpoint?.checkpoint_id === this.history?.[0]?.checkpoint?.checkpoint_id;
    let checkpoint = options.checkpoint ?? (!viewingLatest ? head?.checkpoint : undefined);
    if (options.checkpoint === null) checkpoint = undefined;
    const streamResumable = options.streamResumable ?? false; // no reconnectOnMount storage
    const request = {
      input: values,
      config: options.config,
      command: options.command,
      metadata: options.metadata,
      onDisconnect: options.onDisconnect ?? (streamResumable ? "continue" : "cancel"),
      checkpoint,
      streamMode,
      streamSubgraphs: options.streamSubgraphs,
      streamResumable,
    } as const;
    this.lastRequest = request;
    this.events = [];
    this.streamed = null;
    this.streamValues = { ...this.values };
    let cleared = false;
    for await (const chunk of this.client.runs.stream(this.threadId, this.assistantId, {
      ...request,
      streamMode: request.streamMode as never,
      checkpoint: request.checkpoint as never,
    })) {
      const { event, data } = chunk as { event: string; data: any };
      this.events.push({ event, data });
      if (event === "error") throw new Error(`the stream failed: ${JSON.stringify(data)}`);
      if (event !== "values") continue;
      // ui/manager.js: the first values event drops the interrupts shown before the run; a
      // values event with `__interrupt__` adds its interrupts to the values, others replace them.
      if (!cleared) {
        const { __interrupt__: _dropped, ...rest } = this.streamValues ?? {};
        this.streamValues = rest;
        cleared = true;
      }
      if (data && typeof data === "object" && "__interrupt__" in data) {
        this.streamValues = { ...this.streamValues, __interrupt__: data.__interrupt__ };
      } else {
        const kept = this.streamValues?.__interrupt__ as unknown;
        this.streamValues = Array.isArray(kept) ? { ...data, __interrupt__: kept } : data;
      }
    }
    // onSuccess → finishRun: the history again (fetchStateHistory), and the stream's values go.
    this.streamed = this.streamValues;
    await this.fetchHistory();
    this.streamValues = null;
  }
}
