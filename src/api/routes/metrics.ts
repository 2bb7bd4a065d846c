import { Hono } from "hono";
import type { ApiEnv } from "../app.js";
import { requireRole } from "../auth.js";
import { renderMetrics } from "../../metrics/prometheus.js";

/** Prometheus scrape endpoint (admin key, or open mode): `authorization: Bearer <key>`. */
export function metricsRoutes(): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get("/", requireRole("admin"), async (c) => {
    c.header("content-type", "text/plain; version=0.0.4; charset=utf-8");
    return c.body(await renderMetrics(c.var.services.threads.pool));
  });
  return app;
}
