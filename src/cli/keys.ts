import { openDatabase } from "../db/database.js";
import { migrate } from "../db/migrate.js";
import { readEnv } from "../env.js";
import {
  createKey,
  KeyNameTakenError,
  listKeys,
  revokeKey,
  roles,
  type Role,
} from "../auth/keys.js";
import { parseCli } from "./args.js";

const USAGE = `Usage:
  npm run keys -- create --role ROLE --name NAME [--domains health,finance]
                                                   prints the new key once
  npm run keys -- list                             names, roles, prefixes
  npm run keys -- revoke --name NAME

  e.g. npm run keys -- create --role metrics --name prometheus

API keys are stored hashed (SHA-256). Once any key exists every API call needs one
(Authorization: Bearer <key>); with none the server runs in open development mode on 127.0.0.1.

Uses DATABASE_URL, or the embedded database under DATA_DIR when it is unset (stop the server
first then: only one process can open the embedded database; or use POST /keys with an admin key).

Options:
  --role ROLE    client (start threads, read its own), reviewer (queue, claim, decide, feedback),
                 admin (everything, documents and keys), metrics (GET /metrics and nothing
                 else: the key for a Prometheus scraper)
  --name NAME    who the key belongs to; recorded as the actor of what it does
  --domains LIST comma-separated domains whose curated documents a reviewer key may approve
                 (policy rule ids, e.g. health,finance); without it: every domain
  -h, --help     show this help`;

const { values, positionals } = parseCli(USAGE, {
  role: { type: "string" },
  name: { type: "string" },
  domains: { type: "string" },
});
const command = positionals[0];
if (!command || !["create", "list", "revoke"].includes(command)) {
  console.error(USAGE);
  process.exit(2);
}
const role = values.role;
const name = values.name;
/** "client, reviewer, admin or metrics": the roles as a person would list them. */
const roleList = `${roles.slice(0, -1).join(", ")} or ${roles.at(-1)}`;
if (command === "create" && (!name || !role)) {
  console.error(`create needs --name and --role (${roleList})\n\n${USAGE}`);
  process.exit(2);
}
if (command === "create" && !roles.includes(role as Role)) {
  // Named, so a typo in a deploy script says what was sent, not just what is allowed.
  console.error(`unknown role "${role}": use ${roleList}`);
  process.exit(2);
}
if (command === "revoke" && !name) {
  console.error(`revoke needs --name\n\n${USAGE}`);
  process.exit(2);
}

const env = readEnv();
const db = await openDatabase({ url: env.DATABASE_URL, poolSize: 1, dataDir: env.DATA_DIR });
try {
  await migrate(db.pool);
  if (command === "create") {
    const domains = values.domains
      ?.split(",")
      .map((d) => d.trim())
      .filter(Boolean);
    const { key, row } = await createKey(db.pool, name!, role as Role, domains ?? null);
    console.error(
      `created ${row.role} key "${row.name}" (${row.key_id}); it is shown only this once:`,
    );
    console.log(key);
  } else if (command === "list") {
    for (const k of await listKeys(db.pool)) {
      const state = k.revoked_at ? `revoked ${k.revoked_at.toISOString()}` : "active";
      console.log(
        `${k.name}\t${k.role}\t${k.prefix}…\t${state}\tcreated ${k.created_at.toISOString()}\t${k.domains ? `domains ${k.domains.join(",")}` : "all domains"}`,
      );
    }
  } else {
    const row = await revokeKey(db.pool, { name });
    if (!row) throw new Error(`no active key named "${name}"`);
    console.log(`revoked ${row.role} key "${row.name}"`);
  }
} catch (error) {
  console.error(
    error instanceof KeyNameTakenError
      ? error.message
      : `keys ${command} failed: ${(error as Error).message}`,
  );
  process.exitCode = 1;
} finally {
  await db.close();
}
