import { stat } from "node:fs/promises";
import path from "node:path";
import { openDatabase } from "../db/database.js";
import { migrate } from "../db/migrate.js";
import { readEnv } from "../env.js";
import { loadPolicy } from "../graph/load-policy.js";
import { curatedDomains } from "../graph/policy.js";
import { isCuratedDomain } from "../knowledge/curation.js";
import type { IngestOptions } from "../knowledge/documents.js";
import { ingestDirectory, type IngestProgress } from "../knowledge/seed.js";
import { emitNothing, emitToOutbox } from "../webhooks/emit.js";
import { plural } from "../text/plural.js";
import { parseCli } from "./args.js";

const USAGE = `Usage: npm run ingest -- DIR [DIR ...]

Adds every Markdown (.md, .markdown) and text (.txt) file under each DIR to the knowledge base.
The first "# heading" is the title; the first folder under DIR is the document's domain.
Files already ingested with the same title and text are skipped. A file whose path (its source)
is already there with other text is a new version of that document.

An operator's load is trusted: its documents are live at once, unless --curate is given, which
treats them like POST /documents: in a curated domain of the policy (POLICY_FILE; by default the
high-risk ones) a version waits as pending until a reviewer approves it on /ui/documents.

Uses DATABASE_URL, or the embedded database under DATA_DIR (default ./.data) when it is unset.
Stop the server first when it uses the embedded database: only one process can open it.

Options:
  --curate     send documents of curated domains to the curation queue instead of live
  -h, --help   show this help`;

const { positionals, values } = parseCli(USAGE, { curate: { type: "boolean" } });
if (positionals.length === 0) {
  console.error(USAGE);
  process.exit(2);
}

const env = readEnv();
const db = await openDatabase({ url: env.DATABASE_URL, poolSize: 2, dataDir: env.DATA_DIR });
try {
  await migrate(db.pool);
  const options: IngestOptions = values.curate
    ? {
        isCurated: isCuratedDomain({
          curatedDomains: curatedDomains(await loadPolicy(env.POLICY_FILE)),
          affectedDays: env.CURATION_AFFECTED_DAYS,
        }),
        actor: "ingest",
        emit: env.WEBHOOK_URL ? emitToOutbox : emitNothing,
      }
    : { actor: "ingest" };
  let added = 0;
  let skipped = 0;
  let chunks = 0;
  for (const dir of positionals) {
    if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
      throw new Error(`${dir} is not a directory`);
    }
    const root = path.resolve(dir);
    const onProgress = ({ file, index, total, result }: IngestProgress) => {
      if (result.created) added++;
      else skipped++;
      chunks += result.created ? result.chunks : 0;
      const pending = result.status === "pending" ? ", pending review" : "";
      const status = result.created
        ? `added${result.version > 1 ? ` version ${result.version}` : ""}, ${plural(result.chunks, "chunk")}${pending}`
        : "already there";
      process.stderr.write(`[${index}/${total}] ${path.relative(root, file)}: ${status}\n`);
    };
    await ingestDirectory(db.pool, root, onProgress, options);
  }
  console.log(
    `ingested ${plural(added, "document")} (${plural(chunks, "chunk")}), skipped ${skipped} already present, into ${db.description}`,
  );
} catch (error) {
  console.error(`ingest failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
