import { readFile } from "node:fs/promises";
import type { z } from "zod";
import type {
  promptDecisionResponse,
  promptDetailResponse,
  promptDryRunResponse,
  promptListResponse,
  promptVersionResponse,
} from "../api/prompt-schemas.js";
import { EnvError, readEnv } from "../env.js";
import { formatDryRun } from "../prompts/dry-run.js";
import { TEMPLATE_NAMES, type TemplateName } from "../prompts/template.js";
import { parseCli } from "./args.js";
import { ApiCallError, ApiClient } from "./api-client.js";
import { describeDecision } from "./version-decisions.js";

const USAGE = `Usage:
  npm run prompts -- list [--template T]             active versions and history
  npm run prompts -- show VERSION                    one version, its diff against the active one,
                                                     its dry run and audit trail
  npm run prompts -- propose TEMPLATE --file FILE    propose FILE's text as TEMPLATE's next version
  npm run prompts -- dry-run VERSION [--sample N]    the eval metrics before and after it
  npm run prompts -- approve VERSION                 make it the active version (admin)
  npm run prompts -- reject VERSION --comment WHY    it will never run (admin)

  e.g. npm run prompts -- propose generator --file generator.txt --comment "shorter answers"
       npm run prompts -- dry-run generator:2
       npm run prompts -- approve generator:2 --comment "dry run looks fine"

The generator's and the judge's prompt templates live in the database, versioned. A proposal runs
nowhere until an admin approves it; then every run that starts afterwards, in every process, uses
it and records its version (runs.generator_prompt_version_id, judge_prompt_version_id; the eval
export's metadata.prompt_versions). Version 1 of each is the built-in text, seeded at start-up.

TEMPLATE is generator or judge. VERSION is TEMPLATE:N (generator:2) or a version id (a UUID).

A template is the system prompt a model (MODEL_PROVIDER=bedrock) is sent, plus optional lines for
the offline providers, which cannot read prose, taken out of what a model is sent:
  offline.max_sentences: N     generator: quote at most N sentences (1-10; default 3)
  offline.citations: off       generator: no citation markers (default on)
  offline.ignore_flags: a, b   judge: never raise these flags (e.g. focus_missing)

Talks to a running server (the API's /prompts endpoints) with your key: proposing and dry runs
need the reviewer or admin role, approving and rejecting the admin role; the key's name is
recorded as who did it.

Options:
  --template T     list: only this template
  --file FILE      propose: the template's full text
  --comment TEXT   why (propose, approve; required to reject)
  --sample N       dry-run: cases of the eval set (default PROMPT_DRY_RUN_SAMPLE on the server)
  --api URL        the server (default SIGNOFF_API_URL, else http://HOST:PORT)
  --key KEY        API key (default SIGNOFF_API_KEY); open mode needs none
  -h, --help       show this help`;

const { values, positionals } = parseCli(USAGE, {
  template: { type: "string" },
  file: { type: "string" },
  comment: { type: "string" },
  sample: { type: "string" },
  api: { type: "string" },
  key: { type: "string" },
});

class UsageError extends Error {}

type Version = z.infer<typeof promptVersionResponse>;

const [command, ref, ...extra] = positionals;
const commands = ["list", "show", "propose", "dry-run", "approve", "reject"];

function templateOf(text: string | undefined, what: string): TemplateName {
  if (!TEMPLATE_NAMES.includes(text as TemplateName)) {
    throw new UsageError(`${what} must be ${TEMPLATE_NAMES.join(" or ")}, got "${text ?? ""}"`);
  }
  return text as TemplateName;
}

const line = (v: Version) =>
  `${v.template} v${v.version}\t${v.status}\tproposed by ${v.proposed_by} ${v.proposed_at}` +
  (v.decided_by
    ? `\t${v.status === "rejected" ? "rejected" : "approved"} by ${v.decided_by} ${v.decided_at}`
    : "") +
  `\t${v.version_id}`;

/** The id of VERSION: TEMPLATE:N looked up through the list, or an id as it is. */
async function resolve(client: ApiClient, text: string | undefined): Promise<string> {
  if (!text) throw new UsageError(`${command} needs a VERSION (TEMPLATE:N or an id)`);
  const numbered = /^([a-z]+):(\d+)$/.exec(text);
  if (numbered) {
    const template = templateOf(numbered[1], "the template of VERSION");
    const list = await client.call<z.infer<typeof promptListResponse>>(
      "GET",
      `/prompts?template=${template}&limit=500`,
    );
    const found = list.versions.find((v) => v.version === Number(numbered[2]));
    if (!found) throw new UsageError(`no ${template} prompt version ${numbered[2]}`);
    return found.version_id;
  }
  if (!/^[0-9a-f-]{36}$/i.test(text))
    throw new UsageError(`"${text}" is neither TEMPLATE:N nor a version id`);
  return text.toLowerCase();
}

try {
  if (!command || !commands.includes(command))
    throw new UsageError(command ? `unknown command "${command}"` : "no command");
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (ref !== undefined && command === "list") throw new UsageError(`unexpected argument "${ref}"`);
  const env = readEnv();
  const client = new ApiClient({
    api: values.api ?? env.SIGNOFF_API_URL ?? `http://${env.HOST}:${env.PORT}`,
    key: values.key ?? env.SIGNOFF_API_KEY,
    attempts: 3,
  });
  await run(client);
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else if (error instanceof ApiCallError || error instanceof EnvError) {
    console.error(`prompts: ${error.message}`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}

async function run(client: ApiClient) {
  switch (command) {
    case "list": {
      const template = values.template ? templateOf(values.template, "--template") : undefined;
      const list = await client.call<z.infer<typeof promptListResponse>>(
        "GET",
        `/prompts?limit=100${template ? `&template=${template}` : ""}`,
      );
      for (const name of TEMPLATE_NAMES) {
        const active = list.active[name];
        console.log(
          active
            ? `active ${name}: v${active.version}, approved by ${active.decided_by}`
            : `active ${name}: none; the built-in text runs`,
        );
      }
      for (const v of list.versions) console.log(line(v));
      return;
    }
    case "show": {
      const id = await resolve(client, ref);
      const detail = await client.call<z.infer<typeof promptDetailResponse>>(
        "GET",
        `/prompts/${id}`,
      );
      const v = detail.version;
      console.log(line(v));
      if (v.comment) console.log(`comment: ${v.comment}`);
      if (v.decision_comment) console.log(`decision: ${v.decision_comment}`);
      console.log(
        detail.diff
          ? `\n${detail.diff}`
          : `\n(the same text as the active version${detail.active_version ? ` ${detail.active_version}` : ""})`,
      );
      if (v.dry_run) console.log(`${formatDryRun(v.dry_run)}\n`);
      for (const e of detail.events) console.log(`${e.at}\t${e.type}\tby ${e.actor}`);
      return;
    }
    case "propose": {
      const template = templateOf(ref, "TEMPLATE");
      if (!values.file) throw new UsageError("propose needs --file FILE (the template's text)");
      const body = await readFile(values.file, "utf8").catch((error: Error) => {
        throw new UsageError(`cannot read ${values.file}: ${error.message}`);
      });
      const v = await client.call<Version>("POST", "/prompts/proposals", {
        template,
        body,
        comment: values.comment,
      });
      console.log(`proposed ${template} v${v.version}: ${v.version_id}`);
      console.log(
        `it runs nowhere until approved; see what it changes: npm run prompts -- dry-run ${template}:${v.version}`,
      );
      return;
    }
    case "dry-run": {
      const id = await resolve(client, ref);
      let sample: number | undefined;
      if (values.sample !== undefined) {
        sample = Number(values.sample);
        if (!Number.isInteger(sample) || sample < 1 || sample > 500)
          throw new UsageError(
            `--sample must be a whole number from 1 to 500, got "${values.sample}"`,
          );
      }
      process.stderr.write(
        "running the sample twice, with the active templates and with this one…\n",
      );
      const result = await client.call<z.infer<typeof promptDryRunResponse>>(
        "POST",
        `/prompts/${id}/dry-run`,
        { sample },
      );
      console.log(formatDryRun(result.dry_run));
      return;
    }
    case "approve":
    case "reject": {
      const id = await resolve(client, ref);
      if (command === "reject" && !values.comment?.trim())
        throw new UsageError("reject needs --comment WHY (the reason is recorded)");
      const result = await client.call<z.infer<typeof promptDecisionResponse>>(
        "POST",
        `/prompts/${id}/${command}`,
        { comment: values.comment },
      );
      console.log(
        describeDecision(command, result, {
          name: `${result.version.template} v${result.version.version}`,
          effect: "runs starting now use it",
          never: "it will never run",
        }),
      );
      return;
    }
  }
}
