import type { AddressInfo } from "node:net";
import { serveHttp } from "../../src/api/http-server.js";
import type { Harness } from "./harness.js";

/** The harness's app on a real HTTP port (for clients that need a URL: the SDK, a browser). */
export async function listen(h: Pick<Harness, "app" | "runtime">): Promise<{
  url: string;
  close(): Promise<void>;
}> {
  let server: ReturnType<typeof serveHttp> | undefined;
  const port = await new Promise<number>((resolve) => {
    server = serveHttp(
      {
        fetch: h.app.fetch,
        port: 0,
        hostname: "127.0.0.1",
        maxBodyBytes: h.runtime.env.MAX_BODY_BYTES,
      },
      (info: AddressInfo) => resolve(info.port),
    );
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        const s = server as unknown as {
          close(cb: () => void): void;
          closeAllConnections?(): void;
        };
        s.closeAllConnections?.();
        s.close(() => resolve());
      }),
  };
}
