import type { Context, Hono } from "hono";
import { z } from "zod";
import type { ApiEnv } from "../api/app.js";
import type { Decision } from "../graph/decision.js";
import {
  callerFor,
  decideMany,
  getReview,
  type BulkItemResult,
  type ReviewView,
} from "../services/reviews.js";
import { REJECT_REASONS } from "./format.js";
import { filterQuery, readFilter } from "./queue.js";
import { errorPage, sendPage } from "./respond.js";

/** The most the bulk API takes in one request, and so the most one page ticks. */
export const BATCH_LIMIT = 100;

const uuid = z.uuid();
/** A ticked item: "<review id>:<card version>". */
const pick = z
  .string()
  .max(200)
  .transform((v) => {
    const at = v.indexOf(":");
    return { review_id: v.slice(0, at).toLowerCase(), version: v.slice(at + 1) };
  })
  .refine(
    (v) => uuid.safeParse(v.review_id).success && /^[\w-]{1,100}$/.test(v.version),
    "a ticked item is damaged; reload the queue",
  );
/** A field a form may send once, several times or not at all, as a list. */
const listOf = <T extends z.ZodType>(list: T) =>
  z.preprocess(
    (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? (v as unknown[]) : [v]),
    list,
  );
const batchForm = z
  .object({
    action: z.enum(["approve", "reject"], "choose Approve selected or Reject selected"),
    item: listOf(
      z
        .array(pick)
        .min(1, "tick at least one item first")
        .max(BATCH_LIMIT, `at most ${BATCH_LIMIT} items at once`)
        .refine(
          (items) => new Set(items.map((i) => i.review_id)).size === items.length,
          "an item was ticked twice",
        ),
    ),
    reasons: listOf(z.array(z.enum(REJECT_REASONS.map((r) => r.value) as [string, ...string[]]))),
    comment: z
      .string()
      .trim()
      .max(5000)
      .optional()
      .transform((s) => s || undefined),
    back: z.string().max(2000).optional(),
  })
  .refine((f) => f.action === "approve" || f.reasons.length > 0 || f.comment !== undefined, {
    message: "to reject, choose at least one reason or say why in the comment",
  });

/** Why an item was not decided, in words a reviewer acts on. */
function refusalWords(result: BulkItemResult): string {
  switch (result.error?.code) {
    case "stale_version":
      return "changed since you loaded it (stale): open it to see what changed";
    case "already_decided":
      return "was already decided";
    case "claimed_by_other":
      return `is claimed by someone else (${result.error.message})`;
    case "already_voted":
      return "already has your vote";
    case "escalated_to_admin":
      return "went to an admin: reviewers disagreed on it";
    case "not_found":
      return "no longer exists";
    default:
      return result.error?.message ?? "was not decided";
  }
}

interface Outcome {
  result: BulkItemResult;
  view: ReviewView | undefined;
}

function ItemLink(props: { outcome: Outcome; back: string }) {
  const { result, view } = props.outcome;
  return (
    <>
      {view ? (
        <a href={`/ui/reviews/${result.review_id}${props.back}`}>“{view.question}”</a>
      ) : (
        "An item"
      )}{" "}
      (<code>{result.review_id}</code>)
    </>
  );
}

function BatchResultBody(props: {
  action: "approve" | "reject";
  outcomes: Outcome[];
  back: string;
}) {
  const { outcomes, back } = props;
  const by = (o: BulkItemResult["outcome"]) => outcomes.filter((x) => x.result.outcome === o);
  const decided = by("decided");
  const votes = by("vote_recorded");
  const escalated = by("escalated");
  const refused = by("refused");
  const verb = props.action === "approve" ? "Approve" : "Reject";
  return (
    <>
      <h1>{verb} selected: the outcome</h1>
      <div class={`flash ${refused.length ? "warn" : "ok"}`} role="status" id="batch-result">
        <strong>
          {decided.length} decided
          {refused.length > 0 && `, ${refused.length} not decided`}
        </strong>
        {votes.length > 0 &&
          `; ${votes.length} approval${votes.length === 1 ? "" : "s"} recorded, waiting for another reviewer`}
        {escalated.length > 0 && `; ${escalated.length} sent to the escalation queue`}.
      </div>
      {refused.length > 0 && (
        <section class="panel" aria-labelledby="refused-title">
          <h2 id="refused-title">Not decided</h2>
          <ul id="refused">
            {refused.map((o) => (
              <li data-review={o.result.review_id}>
                <ItemLink outcome={o} back={back} /> {refusalWords(o.result)}.
              </li>
            ))}
          </ul>
        </section>
      )}
      {votes.length + escalated.length > 0 && (
        <section class="panel" aria-labelledby="votes-title">
          <h2 id="votes-title">Your vote is in</h2>
          <ul>
            {[...votes, ...escalated].map((o) => (
              <li data-review={o.result.review_id}>
                <ItemLink outcome={o} back={back} />{" "}
                {o.result.outcome === "escalated"
                  ? "went to the escalation queue for an admin."
                  : "needs another reviewer's approval too."}
              </li>
            ))}
          </ul>
        </section>
      )}
      <p>
        <a href={`/ui${back}`}>Back to the queue</a>
      </p>
    </>
  );
}

/** POST /ui/reviews/batch: the queue's Approve selected / Reject selected. */
export function addBatchDecisions(app: Hono<ApiEnv>): void {
  app.post("/reviews/batch", async (c: Context<ApiEnv>) => {
    const form = batchForm.safeParse(await c.req.parseBody({ all: true }));
    if (!form.success) {
      return errorPage(c, 422, "That did not work", form.error.issues[0]!.message);
    }
    const { action, item, reasons, comment } = form.data;
    // Only the queue's own filters go back into the links (never a URL given by the form).
    const back = filterQuery(
      readFilter((n) => new URLSearchParams(form.data.back).get(n) ?? undefined),
    );
    const decision: Decision = { type: action, reasons, ...(comment ? { comment } : {}) };
    const deps = c.var.services.reviews;
    const results = await decideMany(deps, item, decision, callerFor(c.var.principal));
    const outcomes = await Promise.all(
      results.map(async (result) => ({
        result,
        // Questions only for the items listed by name (a page of at most BATCH_LIMIT).
        view:
          result.outcome === "decided" || result.error?.code === "not_found"
            ? undefined
            : await getReview(deps, result.review_id).catch(() => undefined),
      })),
    );
    return sendPage(
      c,
      200,
      `${action === "approve" ? "Approve" : "Reject"} selected`,
      <BatchResultBody action={action} outcomes={outcomes} back={back} />,
    );
  });
}
