import { describe, expect, it } from "vitest";
import { createAppFor } from "../src/api/app.js";
import { SCALAR_VERSION } from "../src/api/docs.js";
import { OpenModeGate } from "../src/auth/open-mode.js";
import { testDatabases } from "./support/databases.js";
import { useHarness } from "./support/harness.js";

/**
 * The routes are their own spec: every route the app mounts is in /openapi.json (read from the
 * app's router, not from a list kept by hand), and every route needs a key unless it was mounted
 * as public on purpose.
 */

/** Routes outside the JSON API's document: the document itself, its viewer, and the web page. */
const UNDOCUMENTED = /^(?:\/openapi\.json|\/docs|\/demo|\/ui(?:\/.*)?)$/;

/** The routes that answer without a key. Adding one here is a decision, not an accident. */
const PUBLIC = new Set([
  "GET /",
  "GET /openapi.json",
  "GET /docs",
  "GET /healthz",
  "GET /readyz",
  "GET /ui/login",
  "POST /ui/login",
  "POST /ui/logout",
  // The feedback widget's script, and the end-user demo (off unless open mode or DEMO_ENABLED).
  "GET /widget.js",
  "GET /demo",
  "POST /demo/questions",
  "GET /demo/threads/:threadId",
]);
/** Static files of the page (its scripts and styles) are public too. */
const PUBLIC_PREFIX = /^GET \/ui\/assets\//;

type App = ReturnType<typeof createAppFor>;

/** "METHOD /path" for every route handler the app mounts (middleware is mounted as ALL). */
function mountedRoutes(app: App): string[] {
  const seen = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue;
    seen.add(`${route.method} ${route.path}`);
  }
  return [...seen].sort();
}

const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");
const SOME_ID = "3f0c8f9e-7a55-4c39-9d7e-0c9d2b1e6a41";
const concrete = (path: string) => path.replace(/:\w+/g, SOME_ID).replace(/\*$/, "x.js");

describe.each(testDatabases)("routes are the spec ($name)", (kind) => {
  const h = useHarness(kind, { worker: false });

  it("documents every mounted API route, with its method", async () => {
    const doc = (await h.call("GET", "/openapi.json")).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    const api = mountedRoutes(h.app).filter(
      (r) => r !== "GET /" && !UNDOCUMENTED.test(r.split(" ")[1]!),
    );
    expect(api.length).toBeGreaterThan(15);
    const missing = api.filter((r) => {
      const [method, path] = r.split(" ") as [string, string];
      return !documented.has(`${method} ${toOpenApiPath(path)}`);
    });
    expect(missing).toEqual([]);
    // …and the document has nothing the app does not serve.
    const mounted = new Set(api.map((r) => toOpenApiPath(r)));
    expect([...documented].filter((r) => !mounted.has(r))).toEqual([]);
  });

  it("documents what the routes really accept (no hand-written drift)", async () => {
    const doc = (await h.call("GET", "/openapi.json")).body;
    const exportParams = doc.paths["/datasets/export"].get.parameters as {
      name: string;
      schema: Record<string, unknown>;
    }[];
    const since = JSON.stringify(exportParams.find((p) => p.name === "since")!.schema);
    expect(since).toContain('"date"');
    expect(since).toContain('"date-time"');
    expect(exportParams.find((p) => p.name === "test_share")!.schema.type).toBe("string");
    // Public routes say so; the rest inherit the document's API-key requirement.
    expect(doc.security).toEqual([{ apiKey: [] }]);
    expect(doc.paths["/healthz"].get.security).toEqual([]);
    expect(doc.paths["/threads"].post.security).toBeUndefined();
    expect(doc.components.securitySchemes.apiKey.scheme).toBe("bearer");
  });

  it("checks a request in the old order: path, query and headers before the body", async () => {
    const badIdBadBody = await h.call("POST", "/reviews/not-a-uuid/decision", "x", {
      "content-type": "text/plain",
    });
    expect(badIdBadBody.status).toBe(400);
    expect(badIdBadBody.body.error.code).toBe("invalid_id");
    for (const [headers, body, status, code] of [
      [{}, undefined, 415, "unsupported_media_type"],
      [{ "content-type": "application/json-seq" }, "{}", 415, "unsupported_media_type"],
      [{ "content-type": "application/json" }, "{", 400, "invalid_json"],
      [{ "content-type": "application/json" }, "", 400, "invalid_json"],
    ] as const) {
      const res = await h.app.request("/threads", { method: "POST", headers, body });
      expect([res.status, (await res.json()).error.code]).toEqual([status, code]);
    }
  });

  it("serves interactive docs at /docs, pointing at the document", async () => {
    const res = await h.app.request("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const page = await res.text();
    expect(page).toContain("/openapi.json");
    // Scalar's script runs on this origin: one pinned version, and only with this page's nonce.
    expect(page).toContain(`@scalar/api-reference@${SCALAR_VERSION}"`);
    const csp = res.headers.get("content-security-policy") ?? "";
    const nonce = csp.match(/script-src 'nonce-([^']+)'/)?.[1];
    expect(nonce).toBeTruthy();
    expect(page.match(/<script\b[^>]*>/g)!.every((tag) => tag.includes(`nonce="${nonce}"`))).toBe(
      true,
    );
  });

  it("refuses a caller without a key on every route not declared public", async () => {
    // A server on a public address (open mode off): nothing is open unless declared so.
    const closed = createAppFor(h.runtime, { openMode: new OpenModeGate(false) });
    const routes = mountedRoutes(closed);
    const open: string[] = [];
    for (const route of routes) {
      const [method, path] = route.split(" ") as [string, string];
      const res = await closed.request(concrete(path), {
        method,
        headers: { "content-type": "application/json" },
        body: method === "GET" || method === "HEAD" ? undefined : "{}",
        redirect: "manual",
      });
      const refused =
        res.status === 401 ||
        (res.status === 302 && res.headers.get("location")?.startsWith("/ui/login"));
      if (!refused) open.push(route);
    }
    const declared = (r: string) => PUBLIC.has(r) || PUBLIC_PREFIX.test(r);
    expect(open.filter((r) => !declared(r))).toEqual([]);
    // The public ones really are public (a refusal there would lock users out).
    expect(routes.filter(declared).filter((r) => !open.includes(r))).toEqual([]);
  });
});
