import type { Database } from "../../src/db/database.js";
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

/** The app and a worker on the given database, migrated and seeded with the sample knowledge base. */
export async function startHarness(
  database: Database,
  options: HarnessOptions = {},
): Promise<Harness> {
  const env = testEnv(options.env);
  const logger = createLogger(env.LOG_LEVEL);
  const runtime = await createRuntime({
    env,
    logger,
    database,
    providers: options.providers,
    startWorker: options.worker ?? true,
  });
  const clock = new TestClock();
  runtime.reviewDeps.now = clock.now;
  const app = createAppFor(runtime);
  return {
    runtime,
    clock,
    app,
    async call(method, path, body, headers = {}) {
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
    },
    close: () => runtime.close(),
  };
}
