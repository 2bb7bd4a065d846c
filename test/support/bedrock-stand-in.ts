/**
 * A local stand-in for the Bedrock Runtime Converse API, enough for `ChatBedrockConverse`
 * (non-streaming): `POST /model/{modelId}/converse` with a JSON body, answered from a queue of
 * scripted replies in the shape @aws-sdk/client-bedrock-runtime deserializes (restJson1):
 *
 *   200 { output: { message: { role: "assistant", content: [...] } }, stopReason, usage, metrics }
 *   4xx/5xx { message } with an `x-amzn-errortype: <Code>:<namespace>` header
 *
 * Every request is recorded (model id, parsed body, headers) so tests can check what was sent,
 * including that it was SigV4-signed.
 *
 * It speaks cleartext HTTP/2 (h2c, node:http2) rather than HTTP/1.1: BedrockRuntimeClient's
 * default request handler is the SDK's NodeHttp2Handler, which connects with HTTP/2 prior
 * knowledge, and the tests should go through the client exactly as production builds it.
 */
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import {
  createServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from "node:http2";
import type { AddressInfo } from "node:net";

/** The parts of a Converse request body the tests look at. */
export interface ConverseContentBlock {
  text?: string;
  toolUse?: { toolUseId: string; name: string; input: unknown };
  toolResult?: unknown;
  [key: string]: unknown;
}

export interface ConverseToolSpec {
  toolSpec?: {
    name: string;
    description?: string;
    inputSchema?: { json?: Record<string, unknown> };
  };
}

export interface ConverseRequestBody {
  messages?: { role: "user" | "assistant"; content: ConverseContentBlock[] }[];
  system?: { text?: string }[];
  inferenceConfig?: {
    maxTokens?: number;
    temperature?: number;
    topP?: number;
    stopSequences?: string[];
  };
  toolConfig?: { tools?: ConverseToolSpec[]; toolChoice?: Record<string, unknown> };
  [key: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Decoded model id from the path. */
  modelId: string;
  headers: IncomingHttpHeaders;
  body: ConverseRequestBody;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export type ScriptedReply =
  | { kind: "text"; text: string; usage?: Usage; delayMs?: number }
  | {
      kind: "toolUse";
      name: string;
      input: unknown;
      toolUseId?: string;
      /** Text the model says before calling the tool, if any. */
      preamble?: string;
      usage?: Usage;
      delayMs?: number;
    }
  | { kind: "error"; status: number; errorType: string; message: string; delayMs?: number };

const DEFAULT_USAGE: Usage = { inputTokens: 120, outputTokens: 30, totalTokens: 150 };
const ERROR_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.bedrock/";
const CONVERSE_PATH = /^\/model\/([^/]+)\/converse$/;

export class BedrockStandIn {
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[] = [];
  private readonly queue: ScriptedReply[] = [];
  private readonly sessions = new Set<Http2Session>();

  private constructor(
    private readonly server: Http2Server,
    /** Base URL, e.g. http://127.0.0.1:54321 */
    readonly url: string,
  ) {}

  /** Starts a stand-in on 127.0.0.1 and a free port. */
  static async start(): Promise<BedrockStandIn> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const standIn = new BedrockStandIn(server, `http://127.0.0.1:${port}`);
    server.on("session", (session: Http2Session) => {
      standIn.sessions.add(session);
      session.once("close", () => standIn.sessions.delete(session));
    });
    server.on("request", (req: Http2ServerRequest, res: Http2ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        standIn.handle(req.method, req.url, req.headers, body, res);
      });
    });
    return standIn;
  }

  /** Queues a plain text answer (`stopReason: "end_turn"`). */
  replyText(text: string, extra: { usage?: Usage; delayMs?: number } = {}): this {
    this.queue.push({ kind: "text", text, ...extra });
    return this;
  }

  /** Queues a tool call (`stopReason: "tool_use"`), as used for structured output. */
  replyToolUse(
    name: string,
    input: unknown,
    extra: Partial<Omit<Extract<ScriptedReply, { kind: "toolUse" }>, "kind">> = {},
  ): this {
    this.queue.push({ kind: "toolUse", name, input, ...extra });
    return this;
  }

  /** Queues an error answer, e.g. (400, "ValidationException", "...") or (503, "ServiceUnavailableException", "..."). */
  replyError(
    status: number,
    errorType: string,
    message: string,
    extra: { delayMs?: number } = {},
  ): this {
    this.queue.push({ kind: "error", status, errorType, message, ...extra });
    return this;
  }

  /** Scripted replies not used yet. */
  get pending(): number {
    return this.queue.length;
  }

  get lastRequest(): RecordedRequest {
    const last = this.requests.at(-1);
    if (!last) throw new Error("bedrock stand-in: no request received");
    return last;
  }

  /** Forgets recorded requests and unused replies. */
  reset(): void {
    this.requests.length = 0;
    this.queue.length = 0;
  }

  async close(): Promise<void> {
    for (const session of this.sessions) session.destroy();
    await new Promise<void>((resolve, reject) =>
      this.server.close((err) => (err ? reject(err) : resolve())),
    );
  }

  private handle(
    method: string,
    rawPath: string,
    headers: IncomingHttpHeaders,
    rawBody: string,
    res: Http2ServerResponse,
  ): void {
    const path = rawPath.split("?")[0] ?? "";
    const match = CONVERSE_PATH.exec(path);
    if (method !== "POST" || !match) {
      sendError(
        res,
        404,
        "UnknownOperationException",
        `bedrock stand-in: no route for ${method} ${path}`,
      );
      return;
    }
    let body: ConverseRequestBody;
    try {
      body = JSON.parse(rawBody || "{}") as ConverseRequestBody;
    } catch {
      sendError(res, 400, "SerializationException", "bedrock stand-in: request body is not JSON");
      return;
    }
    const modelId = decodeURIComponent(match[1] ?? "");
    this.requests.push({ method, path, modelId, headers, body });

    const reply = this.queue.shift();
    if (!reply) {
      // 400 rather than 5xx so the SDK does not retry: a missing script is a test bug.
      sendError(
        res,
        400,
        "ValidationException",
        `bedrock stand-in: no scripted reply for request ${this.requests.length} (model ${modelId})`,
      );
      return;
    }
    const send = () => {
      // The client may have given up (request timeout) while the reply was delayed.
      if (res.stream.destroyed || res.stream.closed) return;
      if (reply.kind === "error") {
        sendError(res, reply.status, reply.errorType, reply.message);
        return;
      }
      const content =
        reply.kind === "text"
          ? [{ text: reply.text }]
          : [
              ...(reply.preamble ? [{ text: reply.preamble }] : []),
              {
                toolUse: {
                  toolUseId: reply.toolUseId ?? `tooluse_${randomUUID().slice(0, 8)}`,
                  name: reply.name,
                  input: reply.input,
                },
              },
            ];
      sendJson(res, 200, {
        output: { message: { role: "assistant", content } },
        stopReason: reply.kind === "text" ? "end_turn" : "tool_use",
        usage: reply.usage ?? DEFAULT_USAGE,
        metrics: { latencyMs: 42 },
      });
    };
    if (reply.delayMs) setTimeout(send, reply.delayMs);
    else send();
  }
}

function sendJson(
  res: Http2ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body).toString(),
    "x-amzn-requestid": randomUUID(),
    ...headers,
  });
  res.end(body);
}

function sendError(
  res: Http2ServerResponse,
  status: number,
  errorType: string,
  message: string,
): void {
  sendJson(res, status, { message }, { "x-amzn-errortype": `${errorType}:${ERROR_NAMESPACE}` });
}

/** Concatenated text of a request's user messages. */
export function userText(request: RecordedRequest): string {
  return (request.body.messages ?? [])
    .filter((m) => m.role === "user")
    .flatMap((m) => m.content.map((c) => c.text ?? ""))
    .join("\n");
}

/** Concatenated text of a request's system prompt. */
export function systemText(request: RecordedRequest): string {
  return (request.body.system ?? []).map((s) => s.text ?? "").join("\n");
}
