import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { requireRole } from "../auth.js";
import { errors, routeGroup } from "../openapi.js";
import { renderMetrics, type LiveGateMetricsOptions } from "../../metrics/prometheus.js";
import type { ProcessMetrics } from "../../metrics/process-metrics.js";

const metricsRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["operations"],
  summary: "Prometheus metrics",
  description:
    "Roles: metrics (a scraper's key, which can read this and nothing else), admin. The shared, database-derived families come first, then this process's own (process, Node.js, HTTP).",
  middleware: [requireRole("metrics", "admin")] as const,
  responses: {
    200: {
      description: "Prometheus text format",
      content: { "text/plain": { schema: z.string() } },
    },
    ...errors.common,
  },
});

export function metricsRoutes(processMetrics: ProcessMetrics, live?: LiveGateMetricsOptions) {
  return routeGroup().openapi(metricsRoute, async (c) => {
    const shared = await renderMetrics(c.var.db, live);
    return c.text(shared + (await processMetrics.render()), 200, {
      "content-type": processMetrics.contentType,
    });
  });
}
