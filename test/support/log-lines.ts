import { Writable } from "node:stream";
import { pino, type Logger } from "pino";

/** A logger whose JSON lines land, parsed, in `lines`, so a test can read what was logged. */
export function capturedLog(level = "info"): { lines: Record<string, unknown>[]; logger: Logger } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, logger: pino({ level }, sink) };
}
