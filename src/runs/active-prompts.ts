import type { Queryable } from "../db/database.js";
import {
  BUILT_IN_TEMPLATES,
  promptSetOf,
  TEMPLATE_NAMES,
  type PromptSet,
  type TemplateName,
} from "../prompts/template.js";
import { findActivePrompts } from "../repositories/prompt-versions.js";
import { CachedRead } from "./cached-read.js";
import type { RunSignals } from "./thread-events.js";

/** Which version of a template a run used (null: the built-in text, with no version stored). */
export interface PromptVersionRef {
  version_id: string | null;
  version: number | null;
}

/** The templates a run uses, parsed, and the versions they come from. */
export interface ActivePromptSet {
  prompts: PromptSet;
  versions: Record<TemplateName, PromptVersionRef>;
}

/**
 * The active version of each template, from rows read once: only an approved version is ever
 * active, so a proposed or rejected one cannot reach a provider from here. A template with no
 * active version (before start-up seeded version 1) runs its built-in text.
 */
export async function readActivePrompts(db: Queryable): Promise<ActivePromptSet> {
  const rows = await findActivePrompts(db);
  const bodies = { ...BUILT_IN_TEMPLATES };
  const versions = {} as Record<TemplateName, PromptVersionRef>;
  for (const name of TEMPLATE_NAMES) {
    const row = rows.find((r) => r.template === name);
    if (row) bodies[name] = row.body;
    versions[name] = { version_id: row?.version_id ?? null, version: row?.version ?? null };
  }
  return { prompts: promptSetOf(bodies), versions };
}

/** readActivePrompts once per run at its start, cached between runs (src/runs/cached-read.ts). */
export class ActivePrompts {
  private readonly read: CachedRead<ActivePromptSet>;

  constructor(options: { db: Queryable; ttlMs: number; signals?: RunSignals }) {
    this.read = new CachedRead(
      () => readActivePrompts(options.db),
      options.ttlMs,
      options.signals && ((invalidate) => options.signals!.onPromptsChanged(invalidate)),
    );
  }

  invalidate(): void {
    this.read.invalidate();
  }

  current(): Promise<ActivePromptSet> {
    return this.read.current();
  }

  close(): void {
    this.read.close();
  }
}
