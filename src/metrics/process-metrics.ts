import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { collectDefaultMetrics, Histogram, Registry } from "prom-client";

/** Seconds; up to a minute because `?wait=` holds a request open for as long as 60 s. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The route label of a request no route matched: one value, so junk paths add no series. */
export const UNMATCHED_ROUTE = "unmatched";

/** Methods get their own label value; anything else a client invents is "other". */
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

let processRegistry: Registry | undefined;

/**
 * prom-client's default process and Node.js metrics (process_cpu_seconds_total,
 * nodejs_heap_size_used_bytes, nodejs_eventloop_lag_seconds, …), registered once per process:
 * they describe the process, not one app, and every collectDefaultMetrics call starts an
 * event-loop-delay monitor and a GC observer that are never stopped, so tests that build many
 * apps would pile them up (and a second call on one registry throws on the duplicate names).
 * Neither keeps the process alive: prom-client 15 reads these at scrape time, with no interval.
 * A private registry, not prom-client's global one, so nothing else in the process adds to it.
 */
function processMetricsRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * The route pattern a request was addressed to ("/threads/:threadId"), never the raw path, so
 * label cardinality is the number of routes. Middleware (app.use, method ALL) is skipped: the
 * label is the first handler from the one that answered, which is also the route a request
 * refused by a middleware (401, 403, 413) was going to. Catch-all pages count as unmatched.
 */
export function routeLabel(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = Math.max(c.req.routeIndex, 0); i < routes.length; i++) {
    const route = routes[i]!;
    if (route.method !== "ALL") return route.path;
  }
  return UNMATCHED_ROUTE;
}

export interface ProcessMetrics {
  /** Observes every request's duration by method, route pattern and status. */
  middleware: MiddlewareHandler;
  /** The process, Node.js and HTTP families, in Prometheus text format. */
  render(): Promise<string>;
  /** The exposition's content type (Prometheus text format 0.0.4). */
  contentType: string;
}

/**
 * Per-process metrics for one app. The HTTP histogram lives in a registry of this app's own, so
 * two apps in one process (tests) do not count each other's requests.
 */
export function createProcessMetrics(): ProcessMetrics {
  const shared = processMetricsRegistry();
  const registry = new Registry();
  const duration = new Histogram({
    name: "signoff_http_request_duration_seconds",
    help: "HTTP request duration by method, route pattern and status, in this process.",
    labelNames: ["method", "route", "status"] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  return {
    async middleware(c, next) {
      const stop = duration.startTimer();
      await next();
      stop({
        method: KNOWN_METHODS.has(c.req.method) ? c.req.method : "other",
        route: routeLabel(c),
        status: String(c.res.status),
      });
    },
    async render() {
      return (await shared.metrics()) + (await registry.metrics());
    },
    contentType: Registry.PROMETHEUS_CONTENT_TYPE,
  };
}
