import { createRoute, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { raw } from "hono/html";
import type { ApiEnv } from "../api/app.js";
import { openModeApplies, sameOriginRequest } from "../api/auth.js";
import { ApiError } from "../api/errors.js";
import {
  errors,
  idempotencyHeaders,
  json,
  jsonRequestBody,
  routeGroup,
  uuidParam,
} from "../api/openapi.js";
import type { OpenModeGate } from "../auth/open-mode.js";
import { provenances } from "../graph/state.js";
import { threadStatuses } from "../repositories/threads.js";
import {
  getThread,
  startThread,
  waitForAnswer,
  waitForThread,
  type ThreadView,
} from "../services/threads.js";
import { uiAssets } from "./assets.js";
import { PAGE_CSP } from "./respond.js";

/**
 * /demo: a small end-user page that asks a question and shows the answer, or "a specialist is
 * checking this answer" while the thread waits for review, then the feedback widget. The browser
 * holds no API key: this server starts the thread (owned by "demo") and hands the page two tokens
 * for that thread only, one to follow it here and one for the widget. It starts threads for
 * anyone who can reach it, so it is on only in open mode (a loopback server with no keys) unless
 * DEMO_ENABLED says otherwise; when off, every /demo path is a 404.
 */

export const DEMO_TOKEN_HEADER = "signoff-demo-token";
const DEMO_CALLER = { id: "demo", name: "demo" } as const;

function demoGate(openMode: OpenModeGate, enabled: boolean | undefined): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const on = enabled ?? (await openModeApplies(c, openMode, c.var.db));
    if (!on) throw new ApiError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`);
    await next();
  };
}

const askBody = z.object({ question: z.string().trim().min(1).max(1000) }).strict();

const demoThread = z.object({
  thread_id: z.uuid(),
  status: z.enum(threadStatuses),
  answer: z.string().nullable(),
  provenance: z.enum(provenances).nullable(),
});

const askedResponse = demoThread.extend({
  view_token: z
    .string()
    .describe(`For \`GET /demo/threads/{id}\` (header \`${DEMO_TOKEN_HEADER}\`)`),
  feedback_token: z.string().describe("For the feedback widget"),
  feedback_token_expires_at: z.iso.datetime({ offset: true }),
});

const askRoute = createRoute({
  method: "post",
  path: "/questions",
  tags: ["demo"],
  summary: "The demo page asks a question (no key: from the demo page itself only)",
  description:
    "On only in open mode or with DEMO_ENABLED=true (else 404). The thread is owned by `demo`; the answer waits up to 10 s.",
  security: [],
  request: { headers: idempotencyHeaders, body: jsonRequestBody(askBody) },
  responses: {
    201: { description: "Asked", content: json(askedResponse) },
    200: { description: "Same Idempotency-Key as before", content: json(askedResponse) },
    ...errors.body,
    404: errors.byId[404],
  },
});

const followRoute = createRoute({
  method: "get",
  path: "/threads/{threadId}",
  tags: ["demo"],
  summary: "The demo page follows its thread (with the thread's view token)",
  description: "Waits up to `wait` seconds for the answer (once a reviewer decides).",
  security: [],
  request: {
    params: z.object({ threadId: uuidParam }),
    query: z.object({ wait: z.coerce.number().min(0).max(30).optional() }).strict(),
    headers: z.object({ [DEMO_TOKEN_HEADER]: z.string().max(200).optional() }),
  },
  responses: {
    200: { description: "The thread as the end user sees it", content: json(demoThread) },
    ...errors.byId,
  },
});

const endUserView = (view: ThreadView): z.infer<typeof demoThread> => ({
  thread_id: view.thread_id,
  status: view.status,
  // A paused thread has no answer for the user yet; a failed one shows none.
  answer: view.status === "completed" ? view.answer : null,
  provenance: view.status === "completed" ? view.provenance : null,
});

function DemoPage(props: { stylesheet: string; script: string; widget: string }) {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          <link rel="icon" href="data:," />
          <title>Ask a question · signoff demo</title>
          <link rel="stylesheet" href={props.stylesheet} />
        </head>
        <body>
          <main id="main" style="max-width:44rem;margin:2rem auto;padding:0 1rem">
            <section class="panel" aria-labelledby="demo-title">
              <h1 id="demo-title">Ask a question</h1>
              <p class="hint">
                A demo of an app that uses signoff: answers it is unsure of are checked by a
                specialist first, and you can rate every answer.
              </p>
              <form id="ask">
                <div class="field">
                  <label for="question">Your question</label>
                  <textarea id="question" name="question" rows={3} maxlength={1000} required />
                </div>
                <button type="submit" class="primary">
                  Ask
                </button>
              </form>
            </section>
            <section id="result" class="panel" aria-live="polite" hidden>
              <h2>Answer</h2>
              <p id="waiting" class="flash warn" role="status" hidden>
                A specialist is checking this answer. You can keep this page open: the answer
                appears here as soon as it is ready.
              </p>
              <p id="failed" class="flash error" role="alert" hidden />
              <div id="answer" style="white-space:pre-wrap" />
              <p id="checked" class="hint" hidden>
                Checked by a specialist.
              </p>
              <div id="feedback" />
            </section>
          </main>
          <script src={props.widget}></script>
          <script src={props.script}></script>
        </body>
      </html>
    </>
  );
}

async function tokensFor(c: Context<ApiEnv>, threadId: string) {
  const tokens = c.var.threadTokens;
  const [view, feedback] = await Promise.all([
    tokens.issue(c.var.db, threadId, "demo_view"),
    tokens.issue(c.var.db, threadId, "feedback"),
  ]);
  return {
    view_token: view.token,
    feedback_token: feedback.token,
    feedback_token_expires_at: feedback.expires_at,
  };
}

/** Public, before `authenticate`: the page and its two JSON calls, behind the demo's own gate. */
export function demoRoutes(openMode: OpenModeGate, enabled: boolean | undefined) {
  const app = routeGroup();
  app.use("*", demoGate(openMode, enabled));

  app.get("/", async (c) => {
    const { urls } = await uiAssets();
    c.header("Content-Security-Policy", PAGE_CSP);
    c.header("Referrer-Policy", "no-referrer");
    c.header("Cache-Control", "no-store");
    return c.html(<DemoPage stylesheet={urls.signoff} script={urls.demo} widget="/widget.js" />);
  });

  return app
    .openapi(askRoute, async (c) => {
      // No key protects this: only the demo page itself may ask (not another site's form).
      if (!sameOriginRequest(c)) {
        throw new ApiError(403, "cross_origin", "ask from the demo page itself");
      }
      const deps = c.var.services.threads;
      const { thread, created } = await startThread(deps, {
        question: c.req.valid("json").question,
        metadata: { source: "demo" },
        idempotencyKey: c.req.valid("header")["idempotency-key"],
        caller: DEMO_CALLER,
      });
      const view = await waitForThread(deps, thread.thread_id, 10);
      const body = { ...endUserView(view), ...(await tokensFor(c, view.thread_id)) };
      return created ? c.json(body, 201) : c.json(body, 200);
    })
    .openapi(followRoute, async (c) => {
      const { threadId } = c.req.valid("param");
      const token = c.req.valid("header")[DEMO_TOKEN_HEADER] ?? "";
      const verdict = await c.var.threadTokens.verify(c.var.db, token, {
        purpose: "demo_view",
        threadId,
      });
      if (!verdict.ok) {
        throw new ApiError(
          401,
          "invalid_demo_token",
          "this page's link to the thread is not valid",
        );
      }
      const { wait } = c.req.valid("query");
      const deps = c.var.services.threads;
      const view = wait
        ? await waitForAnswer(deps, threadId, wait)
        : await getThread(c.var.db, threadId);
      return c.json(endUserView(view), 200);
    });
}
