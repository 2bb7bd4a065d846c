/**
 * `npm run worker` in a child process whose model is the Bedrock stand-in, so a test can hold a
 * run in the model call and kill the process there (SIGKILL: nothing is cleaned up).
 */
import { spawn, type ChildProcess } from "node:child_process";

export interface WorkerProcess {
  child: ChildProcess;
  /** What the process printed so far, for a failing assertion's message. */
  log(): string;
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>;
}

export function spawnBedrockWorker(
  databaseUrl: string | undefined,
  bedrockUrl: string,
  env: Record<string, string> = {},
): WorkerProcess {
  let output = "";
  const child = spawn(process.execPath, ["--import", "tsx", "src/worker.ts"], {
    cwd: process.cwd(),
    env: {
      PATH: process.env.PATH,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      MODEL_PROVIDER: "bedrock",
      BEDROCK_ENDPOINT_URL: bedrockUrl,
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret",
      RUN_LEASE_SECONDS: "3",
      SEED_SAMPLE_KB: "false",
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return {
    child,
    log: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
