import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { Writable } from "node:stream";
import { readEnv } from "../env.js";
import type { BatchItem } from "../repositories/batches.js";
import { itemsOfNdjson } from "../services/batch-items.js";
import { ServiceError } from "../services/errors.js";
import { plural } from "../text/plural.js";
import { parseCli } from "./args.js";
import {
  ApiCallError,
  BatchClient,
  type BatchProgress,
  type OutgoingItem,
} from "./batch-client.js";
import { ProgressReporter } from "./progress.js";

const USAGE = `Usage: npm run batch -- FILE.jsonl [options]

Starts a thread per line of FILE (JSON Lines: {"question": "...", "id"?: "...", "metadata"?: {...}})
through a running signoff server, at batch priority: interactive questions always go first.
Each line's key is its "id", or its line number. Shows progress on stderr until every question
has settled (answered, or waiting for a reviewer).

Resumable: running the same command again (same file, priority and metadata) finds the same
batch and sends only what it lacks; nothing is asked twice. --resume adds the file's lines to a
batch by its id instead (a file that grew, or other settings).

Options:
  --priority N        0-100, higher first among batches (default 50)
  --metadata K=V      batch metadata, repeatable (values are strings)
  --resume ID         add to this batch instead of creating (or finding) one
  --api URL           the server (default SIGNOFF_API_URL, else http://HOST:PORT)
  --key KEY           API key (default SIGNOFF_API_KEY); open mode needs none
  --chunk N           questions per request (default 1000; bodies stay under 512 KiB)
  --no-wait           exit once everything is submitted
  --out FILE          when settled, write the results (NDJSON) to FILE
  -h, --help          show this help`;

const { values, positionals } = parseCli(USAGE, {
  priority: { type: "string" },
  metadata: { type: "string", multiple: true },
  resume: { type: "string" },
  api: { type: "string" },
  key: { type: "string" },
  chunk: { type: "string" },
  "no-wait": { type: "boolean" },
  out: { type: "string" },
});

class UsageError extends Error {}

const MAX_REQUEST_BYTES = 512 * 1024;

function intOption(name: string, raw: string | undefined, min: number, max: number) {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

function metadataOption(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs?.length) return undefined;
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf("=");
      if (at <= 0) throw new UsageError(`--metadata takes KEY=VALUE, got "${pair}"`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** Requests of at most `maxItems` items and MAX_REQUEST_BYTES each. */
function chunksOf(items: OutgoingItem[], maxItems: number): OutgoingItem[][] {
  const chunks: OutgoingItem[][] = [];
  let current: OutgoingItem[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (current.length > 0 && (current.length >= maxItems || bytes + size > MAX_REQUEST_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

const toOutgoing = (item: BatchItem): OutgoingItem => ({
  id: item.key,
  question: item.question,
  ...(Object.keys(item.metadata).length ? { metadata: item.metadata } : {}),
});

function describeCounts(p: BatchProgress): string {
  const c = p.counts;
  return `${c.completed} completed, ${c.awaiting_review} awaiting review, ${c.failed} failed, ${c.running} running, ${c.queued} queued`;
}

async function main(): Promise<void> {
  const [file, ...extra] = positionals;
  if (!file || extra.length) throw new UsageError("give exactly one questions file");
  const env = readEnv();
  const priority = intOption("priority", values.priority, 0, 100);
  const chunkSize = intOption("chunk", values.chunk, 1, 10_000) ?? 1000;
  const metadata = metadataOption(values.metadata);
  const api = values.api ?? env.SIGNOFF_API_URL ?? `http://${env.HOST}:${env.PORT}`;
  const client = new BatchClient({ api, key: values.key ?? env.SIGNOFF_API_KEY });
  const reporter = new ProgressReporter();

  const text = await readFile(file, "utf8");
  // Checked here first, so a bad line is reported with its line in FILE before anything is sent.
  const items = itemsOfNdjson(text, { maxItems: Number.MAX_SAFE_INTEGER }).map(toOutgoing);
  const chunks = chunksOf(items, chunkSize);
  // The same file with the same settings is the same batch: a re-run resumes it.
  const idempotencyKey = `batch-file-${createHash("sha256")
    .update(JSON.stringify([text, priority ?? null, metadata ?? null]))
    .digest("hex")}`;

  let batchId = values.resume;
  let sent = 0;
  let started = 0;
  for (const chunk of chunks) {
    const answer =
      batchId === undefined
        ? await client.create(chunk, { priority, metadata, idempotencyKey })
        : await client.add(batchId, chunk);
    if (batchId === undefined) {
      batchId = answer.batch_id;
      process.stderr.write(`batch ${batchId} (resume with --resume ${batchId})\n`);
    }
    sent += chunk.length;
    started += answer.started;
    reporter.update("submitting", sent, items.length, `${started} new`, sent === items.length);
  }
  const id = batchId!;
  if (started < items.length) {
    process.stderr.write(
      `${plural(items.length - started, "question")} were already in the batch\n`,
    );
  }
  if (values["no-wait"]) {
    console.log(JSON.stringify({ batch_id: id, submitted: items.length, started }));
    return;
  }

  let progress = await client.progress(id);
  for (;;) {
    const settledCount = progress.total - progress.counts.queued - progress.counts.running;
    reporter.update(
      "answering",
      settledCount,
      progress.total,
      describeCounts(progress),
      progress.settled,
    );
    if (progress.settled) break;
    await new Promise((r) => setTimeout(r, reporter.interactive ? 500 : 2_000));
    progress = await client.progress(id);
  }
  if (values.out) {
    const body = await client.results(id);
    await body.pipeTo(Writable.toWeb(createWriteStream(values.out)));
    process.stderr.write(`results written to ${values.out}\n`);
  }
  console.log(JSON.stringify({ batch_id: id, total: progress.total, ...progress.counts }));
}

try {
  await main();
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else if (error instanceof ServiceError) {
    // A bad line in the file: each problem with its line number.
    const problems = (error.details as { line: number; path: string; message: string }[]) ?? [];
    console.error(`batch refused: ${error.message}`);
    for (const p of problems) console.error(`  line ${p.line}: ${p.path}: ${p.message}`);
    process.exitCode = 1;
  } else if (error instanceof ApiCallError) {
    console.error(`batch failed: ${error.message}`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
