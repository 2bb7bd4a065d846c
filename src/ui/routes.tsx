import { Hono, type Context } from "hono";
import type { Child } from "hono/jsx";
import { z } from "zod";
import type { ApiEnv } from "../api/app.js";
import { requireRole } from "../api/auth.js";
import type { QueueCursor } from "../repositories/reviews.js";
import {
  decodeCursor,
  getReview,
  listReasons,
  listReviews,
  type ReviewView,
} from "../services/reviews.js";
import { addBatchDecisions, BATCH_LIMIT } from "./batch.js";
import { Confirmation } from "./confirmation.js";
import { addDocumentPages } from "./document-routes.js";
import { uiErrorResponse } from "./errors.js";
import { filterQuery, listFilter, QueueBody, readFilter } from "./queue.js";
import { errorPage, sendPage } from "./respond.js";
import { ReviewBody } from "./review.js";

export { isUiPath, uiErrorResponse } from "./errors.js";
export { uiPublicRoutes } from "./sign-in.js";

const PAGE_SIZE = 25;
const uuid = z.uuid();

const shorten = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max)}…` : text;

function cursorOf(view: Pick<ReviewView, "priority" | "created_at" | "review_id">): QueueCursor {
  return { priority: view.priority, created_at: view.created_at, review_id: view.review_id };
}

/** The confirmation of the decision just made on `reviewId`, if the link names one. */
async function confirmation(c: Context<ApiEnv>, reviewId: string | undefined): Promise<Child> {
  if (!reviewId || !uuid.safeParse(reviewId).success) return null;
  const view = await getReview(c.var.services.reviews, reviewId).catch(() => undefined);
  return view ? <Confirmation view={view} me={c.var.actor} /> : null;
}

/** The page itself: private, behind the app's `authenticate`, for reviewers and admins. */
export function uiRoutes(): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.onError((error, c) => {
    const page = uiErrorResponse(error, c);
    if (page) return page;
    throw error;
  });
  app.use("*", requireRole("reviewer", "admin"));

  // The queue.
  app.get("/", async (c) => {
    const filter = readFilter((n) => c.req.query(n));
    const rawCursor = c.req.query("cursor");
    const cursor = rawCursor ? decodeCursor(rawCursor) : undefined;
    if (rawCursor && !cursor) {
      return errorPage(
        c,
        400,
        "This page link does not work",
        <>
          The link to this page of the queue is damaged or out of date.{" "}
          <a href="/ui">Go to the start of the queue</a>.
        </>,
      );
    }
    const deps = c.var.services.reviews;
    const [{ items, next_cursor }, reasons] = await Promise.all([
      listReviews(deps, {
        ...listFilter(filter, c.var.actor),
        // A reason's items on one page, as many as one batch decision takes.
        limit: filter.reason ? BATCH_LIMIT : PAGE_SIZE,
        cursor,
        with_versions: true,
      }),
      listReasons(deps),
    ]);
    const body = (
      <QueueBody
        items={items}
        reasons={reasons}
        selectAll={c.req.query("select") === "all"}
        filter={filter}
        me={c.var.actor}
        now={deps.now()}
        nextCursor={next_cursor}
        paged={cursor !== undefined}
        flash={await confirmation(c, c.req.query("done"))}
      />
    );
    return sendPage(c, 200, "Review queue", body, "queue");
  });

  // After a decision: the next pending item after this one (wrapping round), not claimed by someone else.
  app.get("/next", async (c) => {
    const filter = readFilter((n) => c.req.query(n));
    const after = c.req.query("after");
    const deps = c.var.services.reviews;
    const me = c.var.actor;
    const base = listFilter(filter, me);
    let current: ReviewView | undefined;
    if (after && uuid.safeParse(after).success) {
      current = await getReview(deps, after).catch(() => undefined);
    }
    const pick = (items: { review_id: string; claimed_by: string | null }[]) =>
      items.find((i) => i.review_id !== after && (!i.claimed_by || i.claimed_by === me));
    let next = current
      ? pick((await listReviews(deps, { ...base, cursor: cursorOf(current), limit: 50 })).items)
      : undefined;
    next ??= pick((await listReviews(deps, { ...base, limit: 50 })).items);
    const query = filterQuery(filter, { done: current?.review_id });
    return c.redirect(next ? `/ui/reviews/${next.review_id}${query}` : `/ui${query}`, 303);
  });

  // One item.
  app.get("/reviews/:reviewId", async (c) => {
    const reviewId = c.req.param("reviewId");
    if (!uuid.safeParse(reviewId).success) {
      return errorPage(c, 404, "Not found", "This link does not point to a review item.");
    }
    const deps = c.var.services.reviews;
    const view = await getReview(deps, reviewId.toLowerCase());
    const filter = readFilter((n) => c.req.query(n));
    const base = listFilter(filter, c.var.actor);
    const queued = await listReviews(deps, { ...base, limit: 100 });
    const position = queued.items.findIndex((i) => i.review_id === view.review_id);
    const previous = position > 0 ? queued.items[position - 1] : undefined;
    const following =
      position >= 0 && position + 1 < queued.items.length
        ? queued.items[position + 1]
        : (await listReviews(deps, { ...base, cursor: cursorOf(view), limit: 1 })).items[0];
    const itemUrl = (id: string) => `/ui/reviews/${id}${filterQuery(filter)}`;
    const here = new URL(c.req.url);
    const body = (
      <ReviewBody
        view={view}
        principal={c.var.principal}
        now={deps.now()}
        leaseSeconds={deps.claimLeaseSeconds}
        queueUrl={`/ui${filterQuery(filter)}`}
        prevUrl={previous ? itemUrl(previous.review_id) : null}
        nextUrl={following ? itemUrl(following.review_id) : null}
        afterDecisionUrl={`/ui/next${filterQuery(filter, { after: view.review_id })}`}
        loginUrl={`/ui/login?next=${encodeURIComponent(here.pathname + here.search)}`}
        flash={await confirmation(c, c.req.query("done"))}
      />
    );
    return sendPage(c, 200, `Review: ${shorten(view.question, 60)}`, body, "review");
  });

  // Approve selected / Reject selected on the queue.
  addBatchDecisions(app);

  // The curation queue and a document's page.
  addDocumentPages(app);

  app.all("*", (c) => {
    if (c.req.path === "/ui/" && c.req.method === "GET")
      return c.redirect(`/ui${new URL(c.req.url).search}`, 301);
    return errorPage(c, 404, "Not found", `There is no page at ${c.req.path}.`);
  });
  return app;
}
