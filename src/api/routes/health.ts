import { createRoute } from "@hono/zod-openapi";
import { json, routeGroup } from "../openapi.js";
import { healthResponse, readinessResponse } from "../schemas.js";
import { schemaStatus } from "../../db/migrate.js";

const livenessRoute = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["health"],
  summary: "Liveness: the process answers",
  security: [],
  responses: { 200: { description: "Alive", content: json(healthResponse) } },
});

const readinessRoute = createRoute({
  method: "get",
  path: "/readyz",
  tags: ["health"],
  summary: "Readiness: database reachable and migrations applied",
  security: [],
  responses: {
    200: { description: "Ready", content: json(readinessResponse) },
    503: { description: "Not ready", content: json(readinessResponse) },
  },
});

/** Public: load balancers and orchestrators call these without a key. */
export function healthRoutes() {
  return routeGroup()
    .openapi(livenessRoute, (c) => c.json({ status: "ok" as const }, 200))
    .openapi(readinessRoute, async (c) => {
      try {
        const { pending } = await schemaStatus(c.var.db);
        const ready = pending.length === 0;
        return c.json(
          {
            status: ready ? ("ready" as const) : ("not_ready" as const),
            database: "up" as const,
            pending_migrations: pending,
          },
          ready ? 200 : 503,
        );
      } catch {
        return c.json(
          { status: "not_ready" as const, database: "down" as const, pending_migrations: [] },
          503,
        );
      }
    });
}
