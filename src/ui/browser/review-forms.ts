/**
 * The review page's decision forms: one open at a time, the live diff of an edit, the evidence
 * chosen at the retrieval stage, what a reload keeps, and the decision each form makes.
 */
import type { z } from "zod";
import type { decisionSchema, DecisionType } from "../../graph/decision.js";
import type { ReviewPageData } from "../page-data.js";
import { all, byId } from "./common.js";
import { showDiff } from "./diff.js";
import { plural } from "../../text/plural.js";
import { show } from "./messages.js";

export type DecisionInput = z.input<typeof decisionSchema>;

export interface FormsContext {
  data: ReviewPageData;
  /** No form opens while a decision is being saved, or once the item is decided. */
  isBlocked(): boolean;
}

export interface Forms {
  open(name: DecisionType): void;
  close(): void;
  openName(): DecisionType | null;
  /** The item was decided: hide the open form. */
  end(): void;
  /** Recomputes the diff, the chosen passages and the submit buttons they enable. */
  refresh(): void;
  /** The decision the form makes, or why it cannot be sent yet. */
  collect(name: DecisionType): DecisionInput | string;
  firstField(name: DecisionType): HTMLElement | null;
  /** Keeps what was typed across the reload, then reloads the item. */
  saveAndReload(): void;
}

const NAMES: DecisionType[] = ["approve", "edit", "respond", "reject", "revise"];
const TEXT_FIELDS = [
  "edit-answer",
  "respond-answer",
  "reject-comment",
  "revise-instructions",
  "approve-comment",
  "edit-comment",
  "respond-comment",
  "revise-comment",
];

interface SavedForms {
  fields: Record<string, string>;
  reasons: string[];
  chosen: string[];
  open: DecisionType | null;
}

const value = (id: string): string =>
  byId<HTMLInputElement | HTMLTextAreaElement>(id)?.value.trim() ?? "";
const checkedValues = (selector: string): string[] =>
  all<HTMLInputElement>(`${selector}:checked`).map((c) => c.value);

export function startForms(ctx: FormsContext): Forms {
  const { data } = ctx;
  const storageKey = `signoff:forms:${data.review_id}`;
  const forms = new Map<DecisionType, HTMLFormElement>();
  for (const name of NAMES) {
    const form = byId<HTMLFormElement>(`form-${name}`);
    if (form) forms.set(name, form);
  }
  let openName: DecisionType | null = null;

  function firstField(name: DecisionType): HTMLElement | null {
    const form = forms.get(name);
    if (!form) return null;
    const submit = form.querySelector<HTMLElement>("button[type=submit]");
    if (name === "approve") return submit;
    if (name === "edit" && data.stage === "retrieval")
      return document.querySelector<HTMLElement>("input.choose-passage") ?? submit;
    if (name === "reject") return form.querySelector<HTMLElement>("input[type=checkbox]");
    return form.querySelector<HTMLElement>("textarea");
  }

  function open(name: DecisionType): void {
    const form = forms.get(name);
    if (ctx.isBlocked() || !form) return;
    for (const n of NAMES) {
      const f = forms.get(n);
      if (f) f.hidden = n !== name;
      byId(`act-${n}`)?.setAttribute("aria-expanded", n === name ? "true" : "false");
    }
    openName = name;
    form.scrollIntoView({ block: "nearest" });
    const field = firstField(name);
    if (field) {
      field.focus();
      if (field instanceof HTMLTextAreaElement) {
        const end = field.value.length;
        field.setSelectionRange(end, end);
      }
    }
    if (name === "edit") updateDiff();
  }

  function close(): void {
    if (!openName) return;
    const button = byId(`act-${openName}`);
    const form = forms.get(openName);
    if (form) form.hidden = true;
    if (button) {
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
    openName = null;
  }

  all<HTMLElement>("[data-open]").forEach((b) => {
    b.addEventListener("click", () => {
      const name = b.dataset.open as DecisionType;
      if (openName === name) close();
      else open(name);
    });
  });
  all<HTMLElement>("[data-close]").forEach((b) => b.addEventListener("click", close));

  // The live diff of an edit.
  const editBox = byId<HTMLTextAreaElement>("edit-answer");
  const diffBox = byId("edit-diff");
  const diffSummary = byId("edit-diff-summary");
  const editSubmit = forms.get("edit")?.querySelector<HTMLButtonElement>("button[type=submit]");
  function updateDiff(): void {
    if (!editBox || !diffBox) return;
    const before = data.draft ?? "";
    const after = editBox.value;
    const { added, removed } = showDiff(diffBox, before, after);
    const changed = before.trim() !== after.trim();
    if (diffSummary) {
      diffSummary.textContent = !after.trim()
        ? "The answer is empty."
        : changed
          ? `${plural(removed, "word")} removed, ${plural(added, "word")} added.`
          : "No changes yet: this is the draft as it is.";
    }
    if (editSubmit) editSubmit.disabled = !changed || !after.trim();
  }
  editBox?.addEventListener("input", updateDiff);
  updateDiff();

  // Evidence choice at the retrieval stage.
  const chooseCount = byId("chosen-count");
  const chosen = (): string[] => checkedValues("input.choose-passage");
  function updateChosen(): void {
    if (!chooseCount) return;
    const n = chosen().length;
    chooseCount.textContent = n
      ? `${plural(n, "passage")} chosen.`
      : "No passage chosen yet: tick the ones to answer from.";
    const submit = forms.get("edit")?.querySelector<HTMLButtonElement>("button[type=submit]");
    if (submit) submit.disabled = n === 0;
  }
  all<HTMLInputElement>("input.choose-passage").forEach((c) => {
    c.addEventListener("change", () => {
      updateChosen();
      if (c.checked && openName !== "edit") open("edit");
    });
  });
  updateChosen();

  function saved(): SavedForms {
    const fields: Record<string, string> = {};
    for (const id of TEXT_FIELDS) {
      const el = byId<HTMLInputElement | HTMLTextAreaElement>(id);
      if (el) fields[id] = el.value;
    }
    return {
      fields,
      reasons: checkedValues("input[name=reject-reason]"),
      chosen: chosen(),
      open: openName,
    };
  }

  function saveAndReload(): void {
    try {
      sessionStorage.setItem(storageKey, JSON.stringify(saved()));
    } catch {
      // Private mode: reload without keeping the forms.
    }
    location.reload();
  }

  (function restore() {
    let kept: SavedForms | null = null;
    try {
      kept = JSON.parse(sessionStorage.getItem(storageKey) ?? "null") as SavedForms | null;
      sessionStorage.removeItem(storageKey);
    } catch {
      kept = null;
    }
    if (!kept || ctx.isBlocked()) return;
    for (const [id, text] of Object.entries(kept.fields ?? {})) {
      const el = byId<HTMLInputElement | HTMLTextAreaElement>(id);
      if (el && typeof text === "string") el.value = text;
    }
    all<HTMLInputElement>("input[name=reject-reason]").forEach((c) => {
      c.checked = (kept.reasons ?? []).includes(c.value);
    });
    all<HTMLInputElement>("input.choose-passage").forEach((c) => {
      c.checked = (kept.chosen ?? []).includes(c.value);
    });
    updateDiff();
    updateChosen();
    if (kept.open) open(kept.open);
    show(
      "ok",
      "Reloaded the current version of the item. What you had typed is kept; check it against the new version before you submit.",
    );
  })();

  function withNote<T extends DecisionInput>(body: T, id: string): T {
    const note = value(id);
    return note ? { ...body, comment: note } : body;
  }

  function collect(name: DecisionType): DecisionInput | string {
    if (name === "approve") return withNote({ type: "approve" }, "approve-comment");
    if (name === "edit") {
      if (data.stage === "retrieval") {
        const ids = chosen();
        if (!ids.length) return "Tick at least one passage to answer from.";
        return withNote({ type: "edit", chunk_ids: ids }, "edit-comment");
      }
      const answer = value("edit-answer");
      if (!answer) return "The edited answer is empty.";
      if (answer === (data.draft ?? "").trim())
        return "You have not changed the draft. To send it as it is, approve it.";
      return withNote({ type: "edit", answer }, "edit-comment");
    }
    if (name === "respond") {
      const own = value("respond-answer");
      if (!own) return "Write the answer the user should get.";
      return withNote({ type: "respond", answer: own }, "respond-comment");
    }
    if (name === "reject") {
      const reasons = checkedValues("input[name=reject-reason]");
      const comment = value("reject-comment");
      if (!reasons.length && !comment)
        return "Choose at least one reason, or say why in the comment.";
      return comment ? { type: "reject", reasons, comment } : { type: "reject", reasons };
    }
    const instructions = value("revise-instructions");
    if (!instructions) return "Say what should change in the instructions.";
    return withNote({ type: "revise", instructions }, "revise-comment");
  }

  return {
    open,
    close,
    openName: () => openName,
    end() {
      if (openName) {
        const form = forms.get(openName);
        if (form) form.hidden = true;
        openName = null;
      }
    },
    refresh() {
      updateDiff();
      updateChosen();
    },
    collect,
    firstField,
    saveAndReload,
  };
}
