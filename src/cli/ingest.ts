import { stat } from "node:fs/promises";
import path from "node:path";
import { openDatabase } from "../db/database.js";
import { migrate } from "../db/migrate.js";
import { readEnv } from "../env.js";
import { ingestDirectory } from "../knowledge/seed.js";
import { plural } from "../text/plural.js";
import { parseCli } from "./args.js";

const USAGE = `Usage: npm run ingest -- DIR [DIR ...]

Adds every Markdown (.md, .markdown) and text (.txt) file under each DIR to the knowledge base.
The first "# heading" is the title; the first folder under DIR is the document's domain.
Files already ingested with the same title and text are skipped.

Uses DATABASE_URL, or the embedded database under DATA_DIR (default ./.data) when it is unset.
Stop the server first when it uses the embedded database: only one process can open it.

Options:
  -h, --help   show this help`;

const { positionals } = parseCli(USAGE, {});
if (positionals.length === 0) {
  console.error(USAGE);
  process.exit(2);
}

const env = readEnv();
const db = await openDatabase({ url: env.DATABASE_URL, poolSize: 2, dataDir: env.DATA_DIR });
try {
  await migrate(db.pool);
  let added = 0;
  let skipped = 0;
  let chunks = 0;
  for (const dir of positionals) {
    if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
      throw new Error(`${dir} is not a directory`);
    }
    const root = path.resolve(dir);
    await ingestDirectory(db.pool, root, ({ file, index, total, result }) => {
      if (result.created) added++;
      else skipped++;
      chunks += result.created ? result.chunks : 0;
      const status = result.created ? `added, ${plural(result.chunks, "chunk")}` : "already there";
      process.stderr.write(`[${index}/${total}] ${path.relative(root, file)}: ${status}\n`);
    });
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
