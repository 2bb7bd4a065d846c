/**
 * The real LangGraph CLI dev server (`langgraphjs dev`, what `npm run studio` starts) on the
 * repo's langgraph.json, in a child process: the reference implementation of the Agent
 * Protocol, and what Studio talks to.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = path.join(ROOT, "node_modules", ".bin", "langgraphjs");
export const DEV_SERVER_STARTUP_MS = 60_000;
const OUTPUT_LIMIT = 20_000;

export interface DevServer {
  url: string;
  /** The last lines the CLI and its server printed, for a failing test's message. */
  tail(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A project directory for the dev server: the repo's langgraph.json with absolute graph paths,
 * and a link to the repo's node_modules (the server resolves @langchain/langgraph from the
 * config's directory). The server keeps its threads in `.langgraph_api/` next to the config, so
 * the test's threads neither pile up in, nor clobber, those of a developer's `npm run studio`.
 */
async function isolatedProject(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  const config = JSON.parse(await readFile(path.join(ROOT, "langgraph.json"), "utf8")) as {
    graphs: Record<string, string>;
  };
  const graphs = Object.fromEntries(
    Object.entries(config.graphs).map(([id, spec]) => {
      const [file = "", symbol = ""] = spec.split(":");
      return [id, `${path.resolve(ROOT, file)}:${symbol}`];
    }),
  );
  const file = path.join(dir, "langgraph.json");
  await writeFile(file, JSON.stringify({ ...config, graphs }, null, 2));
  return file;
}

/** Starts the dev server on a free port with its own data directory; `env` adds settings. */
export async function startDevServer(env: Record<string, string> = {}): Promise<DevServer> {
  const tempDir = await mkdtemp(path.join(tmpdir(), "signoff-studio-"));
  const config = await isolatedProject(path.join(tempDir, "project"));
  const port = await freePort();
  let output = "";
  const tail = () => output.slice(-4000) || "(no output)";
  const child: ChildProcess = spawn(
    CLI,
    [
      "dev",
      "--no-browser",
      "--no-reload",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--config",
      config,
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        DATA_DIR: path.join(tempDir, "data"),
        // Empty, not deleted: the CLI loads .env without overriding keys that are already set,
        // and readEnv treats "" as unset, so a developer's .env cannot point this at a real
        // database.
        DATABASE_URL: "",
        POLICY_FILE: "",
        MODEL_PROVIDER: "offline",
        SEED_SAMPLE_KB: "true",
        // "error", not "silent": the dev server's own (winston) logger reads LOG_LEVEL too and
        // knows no "silent", so it would swallow the error of a graph module that fails to load.
        LOG_LEVEL: "error",
        LANGGRAPH_CLI_NO_ANALYTICS: "1",
        LANGSMITH_TRACING: "false",
        LANGCHAIN_TRACING_V2: "false",
        BROWSER: "none",
        ...env,
      },
      // Its own process group, so stop() can end the CLI and the server it spawns together.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  child.once("error", (error) => collect(Buffer.from(`spawn failed: ${error.message}\n`)));

  const stop = async () => {
    const pid = child.pid;
    // Signal the group even when the CLI itself has exited: its server child may not have.
    if (pid !== undefined) {
      const signalGroup = (signal: NodeJS.Signals) => {
        try {
          process.kill(-pid, signal);
        } catch {
          // already gone
        }
      };
      signalGroup("SIGTERM");
      const stopped = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
      // The CLI may exit before its server child does; SIGKILL the group either way.
      signalGroup("SIGKILL");
      if (!stopped) await Promise.race([exited, sleep(2000)]);
    }
    await rm(tempDir, { recursive: true, force: true, maxRetries: 3 });
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(url, child, tail);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, tail, stop };
}

async function waitUntilReady(url: string, child: ChildProcess, tail: () => string) {
  const deadline = Date.now() + DEV_SERVER_STARTUP_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`langgraphjs dev exited (${child.exitCode ?? child.signalCode}):\n${tail()}`);
    }
    try {
      const res = await fetch(`${url}/ok`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(
    `langgraphjs dev did not answer ${url}/ok within ${DEV_SERVER_STARTUP_MS} ms:\n${tail()}`,
  );
}
