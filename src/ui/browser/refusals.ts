/** A readable sentence for every refusal of the API; never the raw JSON. */
import { DECISION_WORDS } from "../decision-words.js";
import type { ReviewPageData } from "../page-data.js";
import { errorCode, type ApiFailure } from "./api.js";
import { show, when, type MessageAction } from "./messages.js";

export interface RefusalContext {
  data: ReviewPageData;
  /** Someone else decided the item meanwhile. */
  markDecided: () => void;
  /** The server says who holds the claim now. */
  setClaim: (by: string | null, until: string | null) => void;
  /** Keeps what was typed and reloads the item. */
  reload: () => void;
}

/** What the API's error details may say about the item (read loosely: they are untyped). */
interface RefusalDetails {
  decision_type?: string;
  decided_by?: string;
  decided_at?: string;
  claimed_by?: string;
  claim_expires_at?: string;
}

function detailsOf(res: ApiFailure): RefusalDetails {
  const details = res.body?.error?.details;
  return details && typeof details === "object" && !Array.isArray(details) ? details : {};
}

function validationMessages(res: ApiFailure): string[] | null {
  const details = res.body?.error?.details;
  if (!Array.isArray(details)) return null;
  return details.map((item: unknown) => String((item as { message?: unknown }).message));
}

export function explain(res: ApiFailure, doing: string, ctx: RefusalContext): void {
  const { data } = ctx;
  const err = res.body?.error;
  const d = detailsOf(res);
  const code = errorCode(res);
  const reloadAction: MessageAction = { label: "Reload the item", onClick: ctx.reload };
  const nextAction: MessageAction = { label: "Go to the next item", href: data.nextUrl };
  const notSaved = `Your ${doing} was not saved.`;
  if (res.status === 0) {
    return show(
      "error",
      "Could not reach the server, so nothing was saved. Check your connection and try again.",
    );
  }
  if (res.status === 401) {
    return show(
      "error",
      "Your sign-in has expired or your key was revoked, so nothing was saved.",
      [{ label: "Sign in again", href: data.loginUrl }],
    );
  }
  if (res.status === 403) {
    return show(
      "error",
      "Your key is not allowed to review items. Ask an admin for a reviewer key.",
    );
  }
  if (res.status === 404) {
    return show("error", "This item no longer exists.", [
      { label: "Back to the queue", href: data.queueUrl },
    ]);
  }
  if (code === "already_decided") {
    ctx.markDecided();
    const how = DECISION_WORDS[d.decision_type ?? ""] ?? "decided";
    const by = d.decided_by ? ` by ${d.decided_by}` : "";
    const at = d.decided_at ? ` at ${when(d.decided_at)}` : "";
    return show("warn", `This item was already ${how}${by}${at}. ${notSaved}`, [
      nextAction,
      reloadAction,
    ]);
  }
  if (code === "claimed_by_other") {
    ctx.setClaim(d.claimed_by ?? null, d.claim_expires_at ?? null);
    const until = d.claim_expires_at ? ` until ${when(d.claim_expires_at)}` : "";
    const who = d.claimed_by ?? "Another reviewer";
    return show("warn", `${who} is working on this item${until}. ${notSaved}`, [
      nextAction,
      reloadAction,
    ]);
  }
  if (code === "stale_version") {
    return show(
      "warn",
      "This item changed while you had it open (for example another reviewer voted, or it was escalated). Nothing was saved. Reload to see the current version; what you typed here is kept.",
      [reloadAction],
    );
  }
  if (code === "already_voted") {
    return show(
      "warn",
      "You have already approved this item. It now needs another reviewer's approval.",
      [nextAction],
    );
  }
  if (code === "escalated_to_admin") {
    return show("warn", "Reviewers disagreed on this item, so an admin decides it now.", [
      nextAction,
    ]);
  }
  if (code === "not_claimed") {
    ctx.setClaim(null, null);
    return show("warn", "This item is not claimed by anyone.");
  }
  if (code === "decision_not_allowed") {
    return show("error", `That decision is not allowed on this item: ${err?.message ?? ""}.`);
  }
  if (code === "unknown_chunks") {
    return show(
      "error",
      "Some of the chosen passages are no longer in the knowledge base. Reload the item.",
      [reloadAction],
    );
  }
  const invalid = code === "validation_failed" ? validationMessages(res) : null;
  if (invalid) return show("error", `Please check the form: ${invalid.join("; ")}.`);
  if (res.status === 503) {
    return show(
      "error",
      "The service cannot reach its database right now. Nothing was saved; try again in a minute.",
    );
  }
  const message = err?.message ? `: ${err.message}` : "";
  return show(
    "error",
    `Something went wrong (${res.status}${message}). Nothing was saved; try again.`,
  );
}
