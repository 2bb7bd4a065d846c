import { afterAll, beforeAll, expect } from "vitest";
import type { Database } from "../../src/db/database.js";
import type { Role } from "../../src/auth/keys.js";
import type { TestDatabaseKind } from "./databases.js";
import { createAppFor } from "../../src/api/app.js";
import { parseEnv, type Env } from "../../src/env.js";
import { createLogger } from "../../src/logger.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import type { Providers } from "../../src/providers/types.js";

/** A clock tests move forward instead of sleeping. */
export class TestClock {
  offsetMs = 0;
  now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(minutes: number): Date {
    this.offsetMs += minutes * 60_000;
    return this.now();
  }
}

export interface Harness {
  /** The database the harness runs on. */
  db: Database;
  runtime: Runtime;
  clock: TestClock;
  app: ReturnType<typeof createAppFor>;
  /** JSON request through app.request(); returns status and parsed body. */
  call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  providers?: Providers;
  /** Run an in-process worker (default true). */
  worker?: boolean;
}

export function testEnv(overrides: Record<string, string> = {}): Env {
  return parseEnv({ LOG_LEVEL: "silent", NODE_ENV: "test", RUN_LEASE_SECONDS: "5", ...overrides });
}

/** `call()` for an app: a JSON request through app.request(), the body parsed when it is JSON. */
export function jsonCaller(app: {
  request: (path: string, init: RequestInit) => Response | Promise<Response>;
}): Harness["call"] {
  return async (method, path, body, headers = {}) => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] ??= "application/json";
    }
    const res = await app.request(path, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text so a test can show it
    }
    return { status: res.status, body: parsed as any };
  };
}

/** The app and a worker on the given database, migrated and seeded with the sample knowledge base. */
export async function startHarness(
  database: Database,
  options: HarnessOptions = {},
): Promise<Harness> {
  const env = testEnv(options.env);
  const logger = createLogger(env.LOG_LEVEL);
  const clock = new TestClock();
  const runtime = await createRuntime({
    env,
    logger,
    database,
    providers: options.providers,
    startWorker: options.worker ?? true,
    now: clock.now,
  });
  const app = createAppFor(runtime);
  return {
    db: database,
    runtime,
    clock,
    app,
    call: jsonCaller(app),
    close: () => runtime.close(),
  };
}

/**
 * For a describe block: a fresh database of `kind` and a harness on it, started before its tests
 * and closed after them. The returned object stands for the harness (and `db` for its database)
 * once started, so a test file declares it in one line.
 */
export function useHarness(kind: TestDatabaseKind, options: HarnessOptions = {}): Harness {
  let started: Harness | undefined;
  let db: Database | undefined;
  beforeAll(async () => {
    db = await kind.open();
    started = await startHarness(db, options);
  });
  afterAll(async () => {
    await started?.close();
    await db?.close();
  });
  return new Proxy({} as Harness, {
    get(_, property) {
      if (!started) throw new Error("the harness is used before its beforeAll ran");
      return Reflect.get(started, property) as unknown;
    },
  });
}

/** Creates API keys (in open mode, or with `admin` headers) and returns their auth headers. */
export async function createKeys<Name extends string>(
  h: Harness,
  keys: Record<Name, Role>,
  admin: Record<string, string> = {},
): Promise<Record<Name, Record<string, string>>> {
  const headers = {} as Record<Name, Record<string, string>>;
  for (const [name, role] of Object.entries(keys) as [Name, Role][]) {
    const res = await h.call("POST", "/keys", { name, role }, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    headers[name] = { authorization: `Bearer ${res.body.key as string}` };
    // The first admin key signs the others (open mode ends with the first key).
    if (role === "admin" && Object.keys(admin).length === 0) admin = headers[name];
  }
  return headers;
}
