import { readEnv } from "./env.js";
import { createLogger } from "./logger.js";
import { createRuntime } from "./runtime.js";
import { parseCli } from "./cli/args.js";

const USAGE = `Usage: npm run worker

Runs a worker alone (no HTTP): it takes runs from the Postgres queue and executes the graph.
Start as many as you like next to API processes started with WORKERS_IN_PROCESS=false.
Needs DATABASE_URL: the embedded database can only be opened by one process.

Environment: DATABASE_URL, WORKER_CONCURRENCY, RUN_LEASE_SECONDS, MODEL_PROVIDER, … (see README)

Options:
  -h, --help   show this help`;

parseCli(USAGE, {});
const env = readEnv();
if (!env.DATABASE_URL) {
  console.error(
    "signoff worker: set DATABASE_URL; the embedded database can only be used by the server process",
  );
  process.exit(1);
}
const logger = createLogger(env.LOG_LEVEL, { role: "worker" });
try {
  const runtime = await createRuntime({ env, logger, startWorker: true });
  logger.info(
    { worker: runtime.worker?.id, concurrency: env.WORKER_CONCURRENCY },
    "worker started",
  );
  const shutdown = (signal: string): void => {
    logger.info({ signal }, "worker stopping after its runs in flight");
    runtime.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
} catch (error) {
  console.error(`signoff worker: ${(error as Error).message}`);
  process.exit(1);
}
