import { openDatabase } from "../db/database.js";
import { migrate } from "../db/migrate.js";
import { EnvError, readEnv } from "../env.js";
import { formatCertification, type Certification } from "../evals/calibration.js";
import {
  findThresholdVersionByNumber,
  type ThresholdVersionRow,
} from "../repositories/threshold-versions.js";
import { ServiceError } from "../services/errors.js";
import {
  approveThresholds,
  listThresholds,
  liveGateRate,
  proposeThresholds,
  rejectThresholds,
  thresholdVersion,
  type ThresholdServiceDeps,
} from "../services/thresholds.js";
import { parseCli } from "./args.js";
import { describeDecision } from "./version-decisions.js";

const USAGE = `Usage:
  npm run thresholds -- list                          active version, env defaults, history
  npm run thresholds -- show VERSION                  one version, its evidence and audit trail
  npm run thresholds -- propose --by NAME [options]   propose from recent human labels
  npm run thresholds -- approve VERSION --by NAME     make it the active version
  npm run thresholds -- reject VERSION --by NAME      it will never gate anything
  npm run thresholds -- live [--window-days N] [--confidence C]

  e.g. npm run thresholds -- propose --by alice --window-days 14
       npm run thresholds -- approve 3 --by bob --comment "reviewed the evidence"

The gate thresholds (retrieval, judge) live in the database, versioned: a proposal gates nothing
until an admin approves it; then every run that starts afterwards, in every process, is gated by
it and records its version. With no version active, RETRIEVAL_THRESHOLD and JUDGE_THRESHOLD from
the environment apply. Every step is in the audit trail with who did it (--by).

A proposal reads the human labels of the window: answer-review decisions on first drafts
(approve: fine to send unreviewed; edit, respond, reject, revise: not), audit samples among them,
and users' first ratings of automatic answers (1-2: wrong). The certifying calibration of
npm run evals:calibrate (one-sided Clopper-Pearson bound, fixed-sequence testing) picks the pair;
when it certifies none, nothing is proposed unless you name a pair with --retrieval/--judge.

VERSION is a version number (1, 2 …) or its id (a UUID).

Uses DATABASE_URL, or the embedded database under DATA_DIR when it is unset (stop the server
first then: only one process can open the embedded database; or use the /thresholds endpoints).

Options:
  --by NAME            who proposes, approves or rejects (recorded as the actor)
  --comment TEXT       why (stored with the proposal or the decision)
  --window-days N      labels of the last N days (propose: default 30; live: GATE_LIVE_WINDOW_DAYS)
  --target RATE        highest acceptable wrong-automatic-answer rate (default 0.02)
  --confidence C       confidence of the bound or interval (default 0.95; live: GATE_LIVE_CONFIDENCE)
  --step STEP          threshold grid step (default 0.01)
  --retrieval T        propose this retrieval threshold (with --judge) instead of the certified one
  --judge T            propose this judge threshold (with --retrieval)
  -h, --help           show this help`;

const { values, positionals } = parseCli(USAGE, {
  by: { type: "string" },
  comment: { type: "string" },
  "window-days": { type: "string" },
  target: { type: "string" },
  confidence: { type: "string" },
  step: { type: "string" },
  retrieval: { type: "string" },
  judge: { type: "string" },
});

class UsageError extends Error {}

const [command, ref, ...extra] = positionals;
const commands = ["list", "show", "propose", "approve", "reject", "live"];

function numberOption(name: string, min: number, max: number, integer = false): number | undefined {
  const raw = values[name as keyof typeof values] as string | undefined;
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (
    raw.trim() === "" ||
    !Number.isFinite(n) ||
    n < min ||
    n > max ||
    (integer && !Number.isInteger(n))
  ) {
    throw new UsageError(
      `--${name} must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}, got "${raw}"`,
    );
  }
  return n;
}

const pair = (r: ThresholdVersionRow) =>
  `retrieval ${r.retrieval_threshold.toFixed(2)}, judge ${r.judge_threshold.toFixed(2)}`;
const line = (r: ThresholdVersionRow) =>
  `v${r.version}\t${r.status}\t${pair(r)}\tproposed by ${r.proposed_by} ${r.proposed_at.toISOString()}` +
  (r.decided_by
    ? `\t${r.status === "rejected" ? "rejected" : "approved"} by ${r.decided_by} ${r.decided_at!.toISOString()}`
    : "") +
  `\t${r.version_id}`;

async function resolve(deps: ThresholdServiceDeps, text: string | undefined): Promise<string> {
  if (!text) throw new UsageError(`${command} needs a VERSION (a number or an id)`);
  if (/^\d+$/.test(text)) {
    const row = await findThresholdVersionByNumber(deps.pool, Number(text));
    if (!row) throw new UsageError(`no threshold version ${text}`);
    return row.version_id;
  }
  if (!/^[0-9a-f-]{36}$/i.test(text))
    throw new UsageError(`"${text}" is neither a version number nor an id`);
  return text.toLowerCase();
}

function requireBy(): { name: string } {
  if (!values.by?.trim()) throw new UsageError(`${command} needs --by NAME (who ${command}s)`);
  return { name: values.by.trim() };
}

try {
  if (!command || !commands.includes(command))
    throw new UsageError(command ? `unknown command "${command}"` : "no command");
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (ref !== undefined && !["show", "approve", "reject"].includes(command)) {
    throw new UsageError(`unexpected argument "${ref}"`);
  }
  const env = readEnv();
  const db = await openDatabase({ url: env.DATABASE_URL, poolSize: 1, dataDir: env.DATA_DIR });
  try {
    await migrate(db.pool);
    const deps: ThresholdServiceDeps = {
      pool: db.pool,
      defaults: { retrieval: env.RETRIEVAL_THRESHOLD, judge: env.JUDGE_THRESHOLD },
    };
    await run(deps, env.GATE_LIVE_WINDOW_DAYS, env.GATE_LIVE_CONFIDENCE);
  } finally {
    await db.close();
  }
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else if (error instanceof ServiceError || error instanceof EnvError) {
    console.error(`thresholds: ${error.message}`);
    const cert = (error as ServiceError).details as { certification?: Certification } | undefined;
    if (cert?.certification) console.error(`\n${formatCertification(cert.certification)}`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}

async function run(deps: ThresholdServiceDeps, liveWindow: number, liveConfidence: number) {
  switch (command) {
    case "list": {
      const list = await listThresholds(deps, 100);
      console.log(
        list.active
          ? `active: v${list.active.version} (${pair(list.active)}), approved by ${list.active.decided_by}`
          : `active: none; the environment's thresholds apply (retrieval ${deps.defaults.retrieval}, judge ${deps.defaults.judge})`,
      );
      for (const r of list.versions) console.log(line(r));
      return;
    }
    case "show": {
      const { version, events } = await thresholdVersion(deps, await resolve(deps, ref));
      console.log(line(version));
      const evidence = version.evidence as { certification?: Certification; labels?: unknown };
      console.log(`labels: ${JSON.stringify(evidence.labels)}`);
      if (evidence.certification) console.log(`\n${formatCertification(evidence.certification)}\n`);
      for (const e of events) console.log(`${e.at.toISOString()}\t${e.type}\tby ${e.actor}`);
      return;
    }
    case "propose": {
      const by = requireBy();
      const retrieval = numberOption("retrieval", 0, 1);
      const judge = numberOption("judge", 0, 1);
      if ((retrieval === undefined) !== (judge === undefined)) {
        throw new UsageError("give --retrieval and --judge together, or neither");
      }
      const windowDays = numberOption("window-days", 1, 3650, true);
      process.stderr.write(
        `reading the human labels of the last ${windowDays ?? 30} days and calibrating…\n`,
      );
      const { version } = await proposeThresholds(
        deps,
        {
          window_days: windowDays,
          target: numberOption("target", 0.0001, 0.9999),
          confidence: numberOption("confidence", 0.0001, 0.9999),
          step: numberOption("step", 0.01, 0.5),
          thresholds: retrieval === undefined ? undefined : { retrieval, judge: judge! },
          comment: values.comment,
        },
        by,
      );
      const evidence = version.evidence as { certification: Certification };
      console.log(formatCertification(evidence.certification));
      console.log(`\nproposed v${version.version} (${pair(version)}): ${version.version_id}`);
      console.log(
        `it gates nothing until approved: npm run thresholds -- approve ${version.version} --by NAME`,
      );
      return;
    }
    case "approve":
    case "reject": {
      const decide = command === "approve" ? approveThresholds : rejectThresholds;
      const result = await decide(deps, await resolve(deps, ref), requireBy(), values.comment);
      console.log(
        describeDecision(command, result, {
          name: `v${result.version.version} (${pair(result.version)})`,
          effect: "runs starting now are gated by it",
          never: "it will never gate anything",
        }),
      );
      return;
    }
    case "live": {
      const live = await liveGateRate(
        deps.pool,
        numberOption("window-days", 1, 3650, true) ?? liveWindow,
        numberOption("confidence", 0.0001, 0.9999) ?? liveConfidence,
      );
      console.log(
        `wrong automatic answers over the last ${live.window_days} days, ${live.confidence * 100}% interval:`,
      );
      if (live.tiers.length === 0)
        console.log("  no labelled automatic answers yet (audit samples, user ratings)");
      for (const t of live.tiers) {
        const pctOf = (x: number) => `${(x * 100).toFixed(1)}%`;
        console.log(
          `  ${t.risk_tier}: ${t.wrong} of ${t.trials} wrong (${t.rate === null ? "-" : pctOf(t.rate)}, ` +
            `${pctOf(t.lower)} to ${pctOf(t.upper)}); audit ${t.audit.wrong}/${t.audit.trials}, ` +
            `feedback ${t.feedback.wrong}/${t.feedback.trials}`,
        );
      }
      return;
    }
  }
}
