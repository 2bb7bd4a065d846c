import { Hono } from "hono";
import type { ApiEnv } from "../api/app.js";

/** The reviewer page (placeholder until the UI lands: redirects to the queue API). */
export function uiRoutes(): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get("/", (c) => c.redirect("/reviews?status=pending"));
  return app;
}
