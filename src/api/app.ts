import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import type pg from "pg";
import { isLoopbackHost, type Principal } from "../auth/principal.js";
import { OpenModeGate } from "../auth/open-mode.js";
import type { Logger } from "../logger.js";
import type { Runtime } from "../runtime.js";
import type { ReviewPolicy } from "../services/review-policy.js";
import type { EmitEvent } from "../webhooks/emit.js";
import type { RunSignals } from "../runs/thread-events.js";
import { ServiceError } from "../services/errors.js";
import type { ReviewServiceDeps } from "../services/reviews.js";
import type { ThreadServiceDeps } from "../services/threads.js";
import type { LocalWorker } from "../runs/held-slot.js";
import {
  ApiError,
  isDataException,
  isDatabaseUnavailable,
  SERVICE_ERROR_STATUS,
  type ErrorBody,
} from "./errors.js";
import { bodyRefusal, documentInfo, routeGroup } from "./openapi.js";
import { authenticate } from "./auth.js";
import { apiDocs } from "./docs.js";
import { documentRoutes } from "./routes/documents.js";
import { keyRoutes } from "./routes/keys.js";
import { metricsRoutes } from "./routes/metrics.js";
import { createProcessMetrics } from "../metrics/process-metrics.js";
import { datasetRoutes } from "./routes/datasets.js";
import { isUiPath, uiErrorResponse, uiPublicRoutes, uiRoutes } from "../ui/routes.js";
import { healthRoutes } from "./routes/health.js";
import { reviewRoutes } from "./routes/reviews.js";
import { threadRoutes } from "./routes/threads.js";
import { batchRoutes } from "./routes/batches.js";
import { agentProtocolRoutes } from "./routes/langgraph/index.js";
import { corsFor } from "./cors.js";
import { feedbackTokenAccess } from "./feedback-token-access.js";
import { ThreadTokens } from "../services/thread-tokens.js";
import { widgetRoutes } from "./routes/widget.js";
import { demoRoutes } from "../ui/demo.js";

import type { ProtocolDeps } from "../protocol/deps.js";
import type { SignoffGraph } from "../graph/graph.js";
import { defaultPolicy } from "../graph/default-policy.js";
import { curatedDomains } from "../graph/policy.js";
import type { CurationDeps, CurationSettings } from "../knowledge/curation.js";

/** A week: the FEEDBACK_TOKEN_TTL_SECONDS default, for apps built without a runtime's env. */
const DEFAULT_TOKEN_TTL_SECONDS = 604_800;
import type { ThresholdServiceDeps } from "../services/thresholds.js";
import { gateRoutes, thresholdRoutes, type GateLiveDefaults } from "./routes/thresholds.js";
import type { PromptServiceDeps } from "../services/prompts.js";
import { promptRoutes } from "./routes/prompts.js";

export interface Services {
  threads: ThreadServiceDeps;
  reviews: ReviewServiceDeps;
  protocol: ProtocolDeps;
  /** Questions one batch submission may carry (BATCH_MAX_ITEMS). */
  batchMaxItems: number;
  logger: Logger;
  curation: CurationDeps;
  thresholds: ThresholdServiceDeps;
  prompts: PromptServiceDeps;
}

export type ApiEnv = {
  Variables: {
    /** The database: for auth, keys, documents, metrics and the UI alike. */
    db: pg.Pool;
    services: Services;
    actor: string;
    principal: Principal;
    requestId: string;
    /** Set only on `POST /threads/:id/feedback` with a valid feedback token for that thread. */
    feedbackGrant: FeedbackGrant | undefined;
    /** Signs and checks the per-thread tokens (feedback widget, demo page). */
    threadTokens: ThreadTokens;
  };
};

export interface FeedbackGrant {
  threadId: string;
}

export interface AppDeps {
  pool: pg.Pool;
  /** The graph over the workers' checkpointer: the Agent Protocol reads state and history. */
  graph: SignoffGraph;
  /** Browser origins allowed to call the API (CORS_ORIGINS). */
  corsOrigins?: readonly string[];
  signals: RunSignals;
  logger: Logger;
  maxAttempts: number;
  maxBodyBytes: number;
  /** Questions one batch submission may carry (BATCH_MAX_ITEMS). */
  batchMaxItems?: number;
  reviewPolicy: ReviewPolicy;
  emit: EmitEvent;
  claimLeaseSeconds: number;
  now?: () => Date;
  /** This process's worker, when it runs one: the runs a request queues are claimed for it. */
  localWorker?: LocalWorker;
  /** Which domains' documents wait for a reviewer; default: the built-in policy's high-risk ones. */
  curation?: CurationSettings;
  /**
   * Open development mode: allowed only when bound to loopback with no key at start, and off
   * for good once a key exists. Decided by the caller that starts the server.
   */
  openMode: OpenModeGate;
  /** Per-thread tokens (FEEDBACK_TOKEN_SECRET, FEEDBACK_TOKEN_TTL_SECONDS). */
  threadTokens?: ThreadTokens;
  /** DEMO_ENABLED: the /demo page on (true), off (false), or only in open mode (undefined). */
  demoEnabled?: boolean;
  /** The live loop: threshold versions, and the live rate's default window and confidence. */
  thresholds: ThresholdServiceDeps;
  gateLive: GateLiveDefaults;
  /** Prompt template versions: proposals, dry runs (with the runtime's providers), decisions. */
  prompts: PromptServiceDeps;
}

/** The app over a runtime's database, signals and policies. */
export function createAppFor(
  runtime: Runtime,
  overrides: Partial<AppDeps> = {},
): OpenAPIHono<ApiEnv> {
  const { reviewDeps } = runtime;
  return createApp({
    pool: reviewDeps.pool,
    graph: runtime.graph,
    corsOrigins: runtime.env.CORS_ORIGINS,
    signals: reviewDeps.signals,
    logger: runtime.logger,
    maxAttempts: reviewDeps.maxAttempts,
    maxBodyBytes: runtime.env.MAX_BODY_BYTES,
    batchMaxItems: runtime.env.BATCH_MAX_ITEMS,
    reviewPolicy: reviewDeps.reviewPolicy,
    emit: reviewDeps.emit,
    claimLeaseSeconds: reviewDeps.claimLeaseSeconds,
    now: reviewDeps.now,
    localWorker: reviewDeps.localWorker,
    curation: {
      curatedDomains: curatedDomains(runtime.context.policy),
      affectedDays: runtime.env.CURATION_AFFECTED_DAYS,
    },
    // Servers check for keys at start (server.ts); before the first request finds one, open.
    openMode: new OpenModeGate(isLoopbackHost(runtime.env.HOST), reviewDeps.signals),
    threadTokens: new ThreadTokens({
      secret: runtime.env.FEEDBACK_TOKEN_SECRET,
      ttlSeconds: runtime.env.FEEDBACK_TOKEN_TTL_SECONDS,
      now: reviewDeps.now,
    }),
    demoEnabled: runtime.env.DEMO_ENABLED,
    thresholds: runtime.thresholdDeps,
    prompts: runtime.promptDeps,
    gateLive: {
      windowDays: runtime.env.GATE_LIVE_WINDOW_DAYS,
      confidence: runtime.env.GATE_LIVE_CONFIDENCE,
    },
    ...overrides,
  });
}

function errorJson(code: string, message: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(details !== undefined ? { details } : {}) } };
}

const STATUS_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthenticated",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/** The HTTP API. Routes only validate and convert; services hold the logic. */
export function createApp(deps: AppDeps): OpenAPIHono<ApiEnv> {
  const reviews: ReviewServiceDeps = {
    pool: deps.pool,
    signals: deps.signals,
    maxAttempts: deps.maxAttempts,
    reviewPolicy: deps.reviewPolicy,
    emit: deps.emit,
    claimLeaseSeconds: deps.claimLeaseSeconds,
    now: deps.now ?? (() => new Date()),
    localWorker: deps.localWorker,
  };
  const services: Services = {
    threads: {
      pool: deps.pool,
      signals: deps.signals,
      maxAttempts: deps.maxAttempts,
      localWorker: deps.localWorker,
    },
    reviews,
    protocol: {
      pool: deps.pool,
      graph: deps.graph,
      signals: deps.signals,
      reviews,
      maxAttempts: deps.maxAttempts,
      logger: deps.logger,
    },
    batchMaxItems: deps.batchMaxItems ?? 10_000,
    logger: deps.logger,
    curation: {
      pool: deps.pool,
      emit: deps.emit,
      settings: deps.curation ?? {
        curatedDomains: curatedDomains(defaultPolicy),
        affectedDays: 30,
      },
    },
    thresholds: deps.thresholds,
    prompts: deps.prompts,
  };
  const threadTokens =
    deps.threadTokens ?? new ThreadTokens({ ttlSeconds: DEFAULT_TOKEN_TTL_SECONDS, now: deps.now });
  const app = routeGroup();

  app.use(requestId());
  // Request durations by route pattern for /metrics; first, so the time covers everything below.
  const processMetrics = createProcessMetrics();
  app.use(processMetrics.middleware);
  app.use(async (c, next) => {
    const started = performance.now();
    // No response is ever to be read as another type than it says (a JSON body as a script).
    c.header("X-Content-Type-Options", "nosniff");
    c.set("db", deps.pool);
    c.set("services", services);
    c.set("threadTokens", threadTokens);
    await next();
    deps.logger.info(
      {
        request_id: c.var.requestId,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        actor: c.var.actor,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      "request",
    );
  });
  app.use(
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      // A chunked body that grew past the limit was partly read: the rest cannot be drained, so
      // the connection is closed rather than left in an unknown state (declared sizes are
      // refused before this, in http-server.ts).
      onError: (c) =>
        c.json(
          errorJson("payload_too_large", `the request body is over ${deps.maxBodyBytes} bytes`),
          413,
          { connection: "close" },
        ),
    }),
  );

  // The feedback widget's door (any origin, a token instead of a key), before the general CORS.
  app.use("/threads/:threadId/feedback", feedbackTokenAccess(threadTokens, deps.corsOrigins ?? []));
  // Before authentication: a browser's preflight carries no key.
  if (deps.corsOrigins?.length) app.use("*", corsFor(deps.corsOrigins));

  // Public: the routes mounted above `authenticate` answer without a key. Everything below it
  // is private, so a route added later needs a key unless it is put here on purpose.
  app.get("/", (c) =>
    c.json({
      name: "signoff",
      openapi: "/openapi.json",
      docs: "/docs",
      endpoints: ["/threads", "/batches", "/reviews", "/documents", "/prompts", "/langgraph"],
    }),
  );
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "An API key (`npm run keys -- create`); `X-API-Key: <key>` works too.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "feedbackToken", {
    type: "apiKey",
    in: "header",
    name: "Signoff-Feedback-Token",
    description:
      "A thread's `feedback_token` (given to its owner with the thread): feedback on that thread only.",
  });
  app.doc31("/openapi.json", documentInfo);
  app.get("/docs", apiDocs());
  app.route("/", healthRoutes());
  app.route("/ui", uiPublicRoutes(deps.openMode));
  app.route("/", widgetRoutes());
  app.route("/demo", demoRoutes(deps.openMode, deps.demoEnabled));

  app.use("*", authenticate(deps.openMode, deps.corsOrigins ?? []));

  app.route("/threads", threadRoutes());
  app.route("/batches", batchRoutes());
  app.route("/reviews", reviewRoutes());
  app.route("/documents", documentRoutes());
  app.route("/keys", keyRoutes(deps.openMode));
  app.route(
    "/metrics",
    metricsRoutes(processMetrics, { ...deps.gateLive, defaults: deps.thresholds.defaults }),
  );
  app.route("/thresholds", thresholdRoutes());
  app.route("/prompts", promptRoutes());
  app.route("/gate", gateRoutes(deps.gateLive));
  app.route("/datasets", datasetRoutes());
  app.route("/ui", uiRoutes());
  app.route("/langgraph", agentProtocolRoutes());

  app.notFound((c) =>
    c.json(errorJson("not_found", `no route for ${c.req.method} ${c.req.path}`), 404),
  );
  app.onError((error, c) => {
    // The page answers its own refusals (a sign-in redirect, an HTML error page).
    const page = isUiPath(c.req.path) ? uiErrorResponse(error, c) : undefined;
    if (page) return page;
    const refusal = error instanceof ApiError ? error : bodyRefusal(error);
    if (refusal) return c.json(refusal.body(), refusal.status);
    if (error instanceof ServiceError) {
      return c.json(
        errorJson(error.code, error.message, error.details),
        SERVICE_ERROR_STATUS[error.kind],
      );
    }
    if (error instanceof HTTPException) {
      const status = error.status;
      return c.json(
        errorJson(STATUS_CODES[status] ?? "http_error", error.message || "request failed"),
        status,
      );
    }
    if (isDataException(error)) {
      return c.json(
        errorJson("invalid_value", `the database refused a value: ${error.message}`),
        422,
      );
    }
    if (isDatabaseUnavailable(error)) {
      deps.logger.error({ err: error, request_id: c.var.requestId }, "database unavailable");
      return c.json(
        errorJson("database_unavailable", "the database cannot be reached; try again shortly"),
        503,
      );
    }
    deps.logger.error({ err: error, request_id: c.var.requestId }, "unhandled error");
    return c.json(
      errorJson("internal_error", `unexpected error (request ${c.var.requestId})`),
      500,
    );
  });
  return app;
}
