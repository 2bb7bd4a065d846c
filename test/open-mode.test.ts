import { describe, expect, it } from "vitest";
import { createAppFor } from "../src/api/app.js";
import { createKey } from "../src/auth/keys.js";
import { OpenModeGate } from "../src/auth/open-mode.js";
import { testDatabases } from "./support/databases.js";
import { QUESTIONS } from "./support/flow.js";
import { jsonCaller, useHarness } from "./support/harness.js";

const CROSS_SITE = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };

describe.each(testDatabases)("open mode ($name)", (kind) => {
  const h = useHarness(kind, { worker: false, env: { SEED_SAMPLE_KB: "false" } });

  /**
   * The server as it starts on a database with no key yet: the keys other tests made are
   * deleted, and a new app (default options, as the harness's) has a gate no test has closed.
   */
  async function startWithoutKeys() {
    await h.db.pool.query("DELETE FROM api_keys");
    const app = createAppFor(h.runtime);
    const call = jsonCaller(app);
    return { app, call };
  }

  it("refuses a cross-site browser POST, and takes one from curl or the server's own pages", async () => {
    const server = await startWithoutKeys();
    const question = { question: QUESTIONS.answerable };
    const forged = await server.call("POST", "/threads", question, CROSS_SITE);
    expect(forged.status).toBe(403);
    expect(forged.body.error.code).toBe("cross_origin");
    const claim = await server.call(
      "POST",
      "/reviews/00000000-0000-4000-8000-000000000000/claim",
      undefined,
      { origin: "https://evil.example" },
    );
    expect(claim.status).toBe(403);
    expect(claim.body.error.code).toBe("cross_origin");
    const nullOrigin = await server.call("POST", "/threads", question, { origin: "null" });
    expect(nullOrigin.status).toBe(403);
    // Reading is still open; a browser on this origin and a client sending neither header write.
    expect((await server.call("GET", "/reviews", undefined, CROSS_SITE)).status).toBe(200);
    const own = await server.call("POST", "/threads", question, {
      origin: "http://localhost",
      host: "localhost",
      "sec-fetch-site": "same-origin",
    });
    expect(own.status).toBe(202);
    expect((await server.call("POST", "/threads", question)).status).toBe(202);
  });

  it("ends when the first key is made and does not come back when the last key is revoked", async () => {
    const { app, call } = await startWithoutKeys();
    expect((await call("GET", "/reviews")).status).toBe(200);
    const made = await call("POST", "/keys", { name: "root", role: "admin" });
    expect(made.status).toBe(201);
    const auth = { authorization: `Bearer ${made.body.key}` };
    expect((await call("GET", "/reviews")).status).toBe(401);
    const revoked = await call("DELETE", `/keys/${made.body.key_id}`, undefined, auth);
    expect(revoked.status).toBe(200);
    expect((await call("GET", "/keys", undefined, auth)).status).toBe(401);
    // No active key now, and still no open mode: everyone would be admin.
    expect((await call("GET", "/reviews")).status).toBe(401);
    expect((await call("POST", "/keys", { name: "me", role: "admin" })).status).toBe(401);
    const page = await app.request("/ui");
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toMatch(/^\/ui\/login/);
    // A restart with no active key opens it again (the operator's explicit choice).
    const restarted = createAppFor(h.runtime, { openMode: new OpenModeGate(true) });
    expect((await restarted.request("/reviews")).status).toBe(200);
  });

  it("ends in this process when another process sharing the database makes a key", async () => {
    await h.db.pool.query("UPDATE api_keys SET revoked_at = now() WHERE revoked_at IS NULL");
    const app = createAppFor(h.runtime, { openMode: new OpenModeGate(true) });
    expect((await app.request("/reviews")).status).toBe(200);
    await createKey(h.db.pool, "made-elsewhere", "admin");
    expect((await app.request("/reviews")).status).toBe(401);
  });

  it("ends when another process makes a key and revokes it between two requests", async () => {
    await h.db.pool.query("UPDATE api_keys SET revoked_at = now() WHERE revoked_at IS NULL");
    const app = createAppFor(h.runtime, { openMode: new OpenModeGate(true) });
    expect((await app.request("/reviews")).status).toBe(200);
    const { row } = await createKey(h.db.pool, "made-and-revoked", "admin");
    await h.db.pool.query("UPDATE api_keys SET revoked_at = now() WHERE key_id = $1", [row.key_id]);
    expect((await app.request("/reviews")).status).toBe(401);
  });

  it("is off from the start when keys exist at start, or the server is not on loopback", async () => {
    const locked = createAppFor(h.runtime, { openMode: new OpenModeGate(false) });
    expect((await locked.request("/reviews")).status).toBe(401);
    expect((await locked.request("/ui")).status).toBe(302);
  });
});
