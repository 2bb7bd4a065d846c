import { Hono } from "hono";
import type { ApiEnv } from "../app.js";
import { schemaStatus } from "../../db/migrate.js";

export function healthRoutes(): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" as const }));
  app.get("/readyz", async (c) => {
    try {
      const { pending } = await schemaStatus(c.var.db);
      const ready = pending.length === 0;
      return c.json(
        { status: ready ? "ready" : "not_ready", database: "up", pending_migrations: pending },
        ready ? 200 : 503,
      );
    } catch {
      return c.json({ status: "not_ready", database: "down", pending_migrations: [] }, 503);
    }
  });
  return app;
}
