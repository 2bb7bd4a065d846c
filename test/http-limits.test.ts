import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveOverHttp, type HttpServer } from "./support/browser.js";
import { testDatabases } from "./support/databases.js";
import { useHarness } from "./support/harness.js";

const LIMIT = 1_048_576;

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One keep-alive TCP connection, so a test can see what happens to the *next* request on it. */
class Connection {
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  readonly socket: net.Socket;

  constructor(port: number) {
    this.socket = net.connect(port, "127.0.0.1");
    this.socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    this.socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on("error", () => undefined);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async more(): Promise<void> {
    if (this.closed) throw new Error(`connection closed; unread: ${this.buffer.toString()}`);
    await new Promise<void>((r) => this.waiters.push(r));
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => this.socket.write(data, () => resolve()));
  }

  /** Reads one response (status line, headers, content-length body). */
  async read(): Promise<RawResponse> {
    let end: number;
    while ((end = this.buffer.indexOf("\r\n\r\n")) < 0) await this.more();
    const head = this.buffer.subarray(0, end).toString().split("\r\n");
    const status = Number(head[0]!.split(" ")[1]);
    const headers = Object.fromEntries(
      head.slice(1).map((line) => {
        const i = line.indexOf(":");
        return [line.slice(0, i).toLowerCase(), line.slice(i + 1).trim()];
      }),
    );
    const length = Number(headers["content-length"] ?? 0);
    while (this.buffer.length < end + 4 + length) await this.more();
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString();
    this.buffer = this.buffer.subarray(end + 4 + length);
    return { status, headers, body };
  }

  /** Resolves true if the server closes the connection within `ms`. */
  async closesWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}

function post(path: string, length: number, extra = ""): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${extra}\r\n`;
}
const GET_HEALTH = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

describe("request size limits over real HTTP", () => {
  const h = useHarness(testDatabases[0]!, { worker: false, env: { SEED_SAMPLE_KB: "false" } });
  let server: HttpServer;
  let port: number;

  beforeAll(async () => {
    server = await serveOverHttp(h.app, LIMIT);
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers a 2 MB body 413 and the next request on the same connection still works", async () => {
    const conn = new Connection(port);
    try {
      const size = 2 * LIMIT;
      await conn.write(post("/threads", size));
      await conn.write(Buffer.alloc(size, "a"));
      const refused = await conn.read();
      expect(refused.status).toBe(413);
      expect(JSON.parse(refused.body)).toMatchObject({ error: { code: "payload_too_large" } });
      expect(refused.headers.connection).toBe("keep-alive");
      await conn.write(GET_HEALTH);
      const next = await conn.read();
      expect(next.status).toBe(200);
      expect(JSON.parse(next.body)).toEqual({ status: "ok" });
    } finally {
      conn.close();
    }
  });

  it("Node's fetch can follow a 413 with another request, 20 times in a row", async () => {
    const big = JSON.stringify({ question: "x".repeat(2 * LIMIT) });
    for (let i = 0; i < 20; i++) {
      const refused = await fetch(`${server.url}/threads`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: big,
      });
      expect(refused.status).toBe(413);
      await refused.text();
      const next = await fetch(`${server.url}/healthz`);
      expect(next.status).toBe(200);
      await next.text();
    }
  });

  it("refuses a body declared far too large with Connection: close, and closes it", async () => {
    const conn = new Connection(port);
    try {
      await conn.write(post("/threads", 1024 * LIMIT));
      await conn.write(Buffer.alloc(64 * 1024, "a"));
      const refused = await conn.read();
      expect(refused.status).toBe(413);
      expect(refused.headers.connection).toBe("close");
      expect(await conn.closesWithin(2000)).toBe(true);
    } finally {
      conn.close();
    }
  });

  it("with Expect: 100-continue, an oversized body gets a 413 and never 100 Continue", async () => {
    const conn = new Connection(port);
    try {
      await conn.write(post("/threads", 2 * LIMIT, "Expect: 100-continue\r\n"));
      const first = await conn.read();
      expect(first.status).toBe(413);
      expect(first.headers.connection).toBe("close");
      expect(await conn.closesWithin(2000)).toBe(true);
    } finally {
      conn.close();
    }
  });

  it("with Expect: 100-continue, a body within the limit gets 100 Continue and is served", async () => {
    const conn = new Connection(port);
    try {
      const body = JSON.stringify({ question: "How many days do I have to return unused items?" });
      await conn.write(post("/threads", Buffer.byteLength(body), "Expect: 100-continue\r\n"));
      const interim = await conn.read();
      expect(interim.status).toBe(100);
      await conn.write(body);
      const created = await conn.read();
      expect(created.status).toBe(202);
      expect(JSON.parse(created.body)).toHaveProperty("thread_id");
    } finally {
      conn.close();
    }
  });

  it("a chunked body that grows past the limit gets a 413 with Connection: close", async () => {
    const conn = new Connection(port);
    try {
      await conn.write(
        "POST /threads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
      );
      const chunk = Buffer.alloc(256 * 1024, "a");
      for (let i = 0; i < 6 && !conn.closed; i++) {
        await conn.write(`${chunk.length.toString(16)}\r\n`);
        await conn.write(chunk);
        await conn.write("\r\n");
      }
      const refused = await conn.read();
      expect(refused.status).toBe(413);
      expect(refused.headers.connection).toBe("close");
    } finally {
      conn.close();
    }
  });
});
