import { createAppFor } from "./api/app.js";
import { DataDirInUseError } from "./db/database.js";
import { ProviderConfigError } from "./providers/bedrock/index.js";
import { serveHttp } from "./api/http-server.js";
import { EnvError, readEnv } from "./env.js";
import { createLogger } from "./logger.js";
import { createRuntime } from "./runtime.js";
import { hasActiveKeys } from "./auth/keys.js";
import { isLoopbackHost } from "./auth/principal.js";
import { OpenModeGate } from "./auth/open-mode.js";
import { parseCli } from "./cli/args.js";

const USAGE = `Usage: npm start

Starts the signoff HTTP API on HOST:PORT (default 127.0.0.1:3000) and, unless
WORKERS_IN_PROCESS=false, workers in the same process. With no DATABASE_URL it uses the embedded
database under DATA_DIR (default ./.data) and loads the sample knowledge base on first start.
Logs are JSON lines on stdout. Configuration is by environment variables: see the README.

Options:
  -h, --help   show this help`;

/** Starts the HTTP API (and, by default, the workers) in this process. */
async function main(): Promise<void> {
  parseCli(USAGE, {});
  const env = readEnv();
  const logger = createLogger(env.LOG_LEVEL);
  const runtime = await createRuntime({ env, logger, startWorker: env.WORKERS_IN_PROCESS });
  const keysAtStart = await hasActiveKeys(runtime.db.pool);
  if (!keysAtStart) {
    if (!isLoopbackHost(env.HOST)) {
      await runtime.close();
      throw new EnvError(
        `HOST=${env.HOST} with no API keys would expose an open server: create a key first (npm run keys -- create --role admin --name you) or bind 127.0.0.1`,
      );
    }
    logger.warn(
      { host: env.HOST },
      "no API keys: open development mode, every caller has every role; bound to loopback only",
    );
  }
  // Open mode is decided here, once: a key created later ends it until the next start.
  const openMode = new OpenModeGate(isLoopbackHost(env.HOST) && !keysAtStart, runtime.signals);
  await openMode.isOpen(runtime.db.pool); // the first look: keys made from now on end it
  const app = createAppFor(runtime, { openMode });
  const server = serveHttp(
    { fetch: app.fetch, port: env.PORT, hostname: env.HOST, maxBodyBytes: env.MAX_BODY_BYTES },
    (info) => {
      logger.info(
        {
          url: `http://${env.HOST}:${info.port}`,
          provider: runtime.context.providers.name,
          database: runtime.db.description,
          workers: runtime.worker ? env.WORKER_CONCURRENCY : 0,
        },
        "signoff is listening",
      );
    },
  );

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    server.close();
    runtime
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      });
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  // Configuration problems get a plain message; anything else its stack.
  const known =
    error instanceof EnvError ||
    error instanceof ProviderConfigError ||
    error instanceof DataDirInUseError;
  console.error(known ? `signoff: ${error.message}` : error);
  process.exit(1);
});
