import { openDatabase } from "../db/database.js";
import { migrate } from "../db/migrate.js";
import { readEnv } from "../env.js";
import { parseCli } from "./args.js";

const USAGE = `Usage: npm run migrate

Applies pending database migrations (the app's tables and LangGraph's checkpoint tables) under
an advisory lock, so several processes starting at once apply each migration exactly once.
The server also does this at start-up.

Uses DATABASE_URL, or the embedded database under DATA_DIR (default ./.data) when it is unset.

Options:
  -h, --help   show this help`;

parseCli(USAGE, {});
const env = readEnv();
const db = await openDatabase({ url: env.DATABASE_URL, poolSize: 1, dataDir: env.DATA_DIR });
try {
  const { applied } = await migrate(db.pool);
  console.log(
    applied.length
      ? `applied ${applied.join(", ")} to ${db.description}`
      : `${db.description} is up to date`,
  );
} catch (error) {
  console.error(`migrate failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
