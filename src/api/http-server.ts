import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";

export interface HttpServerOptions {
  fetch: (request: Request) => Response | Promise<Response>;
  port: number;
  hostname: string;
  /** Request bodies over this size are refused before anything reads them. */
  maxBodyBytes: number;
}

/** A declared body up to this many times the limit is read and discarded, keeping the connection. */
const DRAIN_FACTOR = 16;

function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers["content-length"];
  if (header === undefined || !/^\d+$/.test(header)) return undefined;
  return Number(header);
}

/**
 * Answers 413 at the Node level, before Hono touches the request stream. A body that is not too
 * large to read is discarded by Node itself once the response is sent (it dumps an unread
 * request), so the connection stays usable; a larger one is refused with `Connection: close`.
 * Hono's `bodyLimit` in the app still catches chunked bodies that grow past the limit.
 */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse, maxBodyBytes: number): boolean {
  const length = declaredLength(req);
  if (length === undefined || length <= maxBodyBytes) return false;
  const body = JSON.stringify({
    error: {
      code: "payload_too_large",
      message: `the request body is over ${maxBodyBytes} bytes`,
    },
  });
  const close = length > maxBodyBytes * DRAIN_FACTOR || req.headers.expect !== undefined;
  // Only ever "close": saying keep-alive would override Node's own decision to close (the
  // client sent Connection: close, HTTP/1.0, the server is shutting down).
  res.writeHead(413, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...(close ? { connection: "close" } : {}),
  });
  res.end(body);
  return true;
}

/**
 * Serves the app over HTTP/1.1 with request-size limits that keep connections honest: an
 * oversized request is answered 413 without `100 Continue` (for `Expect: 100-continue`) and
 * either drained with the connection kept or answered with `Connection: close`.
 */
export function serveHttp(
  options: HttpServerOptions,
  onListening?: (info: AddressInfo) => void,
): ServerType {
  const guarded = ((
    serverOptions: object,
    listener: (req: IncomingMessage, res: ServerResponse) => void,
  ) => {
    const server = createServer(serverOptions, (req, res) => {
      if (!refuseTooLarge(req, res, options.maxBodyBytes)) listener(req, res);
    });
    // With a 'checkContinue' listener Node no longer sends 100 Continue by itself.
    server.on("checkContinue", (req, res) => {
      if (refuseTooLarge(req, res, options.maxBodyBytes)) return;
      res.writeContinue();
      listener(req, res);
    });
    return server;
  }) as unknown as typeof createServer;
  return serve(
    { fetch: options.fetch, port: options.port, hostname: options.hostname, createServer: guarded },
    onListening,
  );
}
