/**
 * The review page: claim and heartbeat, citations, the decision forms, and sending a decision.
 * Its data comes from the page's `<script type="application/json" id="review-data">` block.
 */
import type { z } from "zod";
import type { decisionResponse } from "../../api/schemas.js";
import type { DecisionType } from "../../graph/decision.js";
import { REVIEW_DATA_ID, type ReviewPageData } from "../page-data.js";
import { post, type ApiFailure } from "./api.js";
import { startClaim } from "./claim.js";
import { all, byId, follow, isTyping, showLocalTimes, startShortcuts } from "./common.js";
import { show } from "./messages.js";
import { explain } from "./refusals.js";
import { startForms } from "./review-forms.js";

type DecisionResponse = z.infer<typeof decisionResponse>;

const keys = startShortcuts();
showLocalTimes();

const data = JSON.parse(byId(REVIEW_DATA_ID)?.textContent ?? "null") as ReviewPageData;
const base = `/reviews/${encodeURIComponent(data.review_id)}`;
let busy = false;
let decided = !data.pending;

const refuse = (res: ApiFailure, doing: string): void =>
  explain(res, doing, {
    data,
    markDecided,
    setClaim: (by, until) => claim.set(by, until),
    reload: () => forms.saveAndReload(),
  });

const forms = startForms({ data, isBlocked: () => busy || decided });
const claim = startClaim({ data, base, isDecided: () => decided, explain: refuse });

// Someone else decided it: nothing more to claim or submit here.
function markDecided(): void {
  decided = true;
  claim.end();
  forms.end();
  all<HTMLButtonElement>(".actions-bar button").forEach((b) => (b.disabled = true));
}

// ---- citations: a marker leads to its passage ----
all<HTMLAnchorElement>("a.cite").forEach((a) => {
  a.addEventListener("click", (e) => {
    const target = byId(a.dataset.passage ?? "");
    if (!target) return;
    e.preventDefault();
    all(".passage.highlight").forEach((p) => p.classList.remove("highlight"));
    target.classList.add("highlight");
    target.scrollIntoView({ behavior: "smooth", block: "center" });
    target.focus({ preventScroll: true });
    history.replaceState(null, "", `#${target.id}`);
  });
});
if (location.hash) {
  const targeted = byId(location.hash.slice(1));
  if (targeted?.classList.contains("passage")) targeted.classList.add("highlight");
}

async function submit(name: DecisionType): Promise<void> {
  if (busy || decided) return;
  const decision = forms.collect(name);
  if (typeof decision === "string") {
    show("error", decision);
    forms.firstField(name)?.focus();
    return;
  }
  busy = true;
  const buttons = all<HTMLButtonElement>(".action-form button, .actions-bar button");
  const wasDisabled = buttons.map((b) => b.disabled);
  buttons.forEach((b) => (b.disabled = true));
  show("ok", "Saving your decision…");
  const res = await post<DecisionResponse>(`${base}/decision`, {
    ...decision,
    version: data.version,
  });
  if (res.ok) {
    decided = ["decided", "escalated", "vote_recorded"].includes(res.body.outcome);
    claim.stopHeartbeat();
    location.assign(data.nextUrl);
    return;
  }
  busy = false;
  buttons.forEach((b, i) => (b.disabled = wasDisabled[i] ?? false));
  if (name === "edit") forms.refresh();
  refuse(res, "decision");
}

for (const name of ["approve", "edit", "respond", "reject", "revise"] as const) {
  byId<HTMLFormElement>(`form-${name}`)?.addEventListener("submit", (e) => {
    e.preventDefault();
    void submit(name);
  });
}

// ---- shortcuts ----
keys.a = () => forms.open("approve");
keys.e = () => forms.open("edit");
keys.r = () => forms.open("respond");
keys.x = () => forms.open("reject");
keys.v = () => forms.open("revise");
keys.c = () => claim.toggle();
keys.j = () => follow("nav-next");
keys.k = () => follow("nav-prev");
keys.q = () => follow("nav-queue");
keys["ctrl+enter"] = () => {
  const name = forms.openName();
  if (name) void submit(name);
};
keys.escape = (e) => {
  if (!forms.openName()) return;
  e.preventDefault();
  if (isTyping(e.target) && e.target instanceof HTMLElement) e.target.blur();
  forms.close();
};
