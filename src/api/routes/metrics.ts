import { Hono } from "hono";
import type { ApiEnv } from "../app.js";
import { requireRole } from "../auth.js";
import { renderMetrics } from "../../metrics/prometheus.js";
import type { ProcessMetrics } from "../../metrics/process-metrics.js";

/**
 * Prometheus scrape endpoint: `authorization: Bearer <key>` with a metrics key (made for a
 * scraper: it can read this and nothing else) or an admin key, or open mode. The shared,
 * database-derived families come first, then this process's own (process, Node.js, HTTP).
 */
export function metricsRoutes(processMetrics: ProcessMetrics): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get("/", requireRole("metrics", "admin"), async (c) => {
    const shared = await renderMetrics(c.var.db);
    c.header("content-type", processMetrics.contentType);
    return c.body(shared + (await processMetrics.render()));
  });
  return app;
}
