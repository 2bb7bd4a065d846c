import type { ReviewListItem } from "../services/reviews.js";
import { age, due, riskBadge, stageBadge } from "./format.js";
import { html, type SafeHtml } from "./html.js";

/** The queue's filters; they travel with every link so j/k and "next" stay within them. */
export interface UiFilter {
  stage?: "retrieval" | "answer";
  risk_tier?: "low" | "medium" | "high";
  queue?: "main" | "escalation";
  who?: "mine" | "unclaimed";
}

const CHOICES = {
  stage: ["retrieval", "answer"],
  risk_tier: ["low", "medium", "high"],
  queue: ["main", "escalation"],
  who: ["mine", "unclaimed"],
} as const;

/** Reads the filters from a query, ignoring values that are not choices (a page never 400s on them). */
export function readFilter(query: (name: string) => string | undefined): UiFilter {
  const filter: Record<string, string> = {};
  for (const [name, values] of Object.entries(CHOICES)) {
    const value = query(name);
    if (value && (values as readonly string[]).includes(value)) filter[name] = value;
  }
  return filter;
}

/** The filter (plus extra parameters) as a query string, "" when empty, else starting with "?". */
export function filterQuery(
  filter: UiFilter,
  extra: Record<string, string | undefined> = {},
): string {
  const params = new URLSearchParams();
  const all: Record<string, string | undefined> = { ...filter, ...extra };
  const entries = Object.entries(all);
  for (const [name, value] of entries) {
    if (value) params.set(name, value);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The service's list filter for a UI filter. */
export function listFilter(filter: UiFilter, actor: string) {
  return {
    status: "pending" as const,
    stage: filter.stage,
    risk_tier: filter.risk_tier,
    queue: filter.queue,
    assignee: filter.who === "mine" ? actor : filter.who === "unclaimed" ? "none" : undefined,
  };
}

function select(
  name: string,
  label: string,
  value: string | undefined,
  options: [string, string][],
): SafeHtml {
  return html`<div class="field">
    <label for="f-${name}">${label}</label>
    <select id="f-${name}" name="${name}">
      ${options.map(([v, text]) => html`<option value="${v}" ${(value ?? "") === v ? html` selected` : ""}>${text}</option>`)}
    </select>
  </div>`;
}

export interface QueuePageInput {
  items: ReviewListItem[];
  filter: UiFilter;
  me: string;
  now: Date;
  nextCursor: string | null;
  /** True when this is not the first page. */
  paged: boolean;
  flash: SafeHtml;
}

function claimedBy(item: ReviewListItem, me: string): SafeHtml {
  if (!item.claimed_by) return html`<span class="muted">nobody</span>`;
  return item.claimed_by === me ? html`<strong>you</strong>` : html`${item.claimed_by}`;
}

export function queueBody(input: QueuePageInput): SafeHtml {
  const { filter, items, now } = input;
  const filtered = Object.keys(filter).length > 0;
  const rows = items.map((item) => {
    const href = `/ui/reviews/${item.review_id}${filterQuery(filter)}`;
    return html`<tr class="row" data-href="${href}">
      <td>
        <a class="reason" href="${href}"
          >${item.reason.charAt(0).toUpperCase() + item.reason.slice(1)}</a
        >
        <span class="question">${item.question}</span>
      </td>
      <td class="nowrap">
        ${stageBadge(item.stage)}${item.queue === "escalation" ? html` <span class="badge escalated">Escalated</span>` : ""}
      </td>
      <td class="nowrap">${riskBadge(item.risk_tier)}</td>
      <td class="nowrap">${age(item.created_at, now)}</td>
      <td class="nowrap">${due(item.due_at, now)}</td>
      <td class="nowrap">${claimedBy(item, input.me)}</td>
    </tr>`;
  });
  return html` <h1>Waiting for review</h1>
    ${input.flash}
    <section class="panel">
      <form class="filters" id="filters" method="get" action="/ui" aria-label="Filter the queue">
        ${select("stage", "Stage", filter.stage, [
          ["", "Any stage"],
          ["answer", "Answer"],
          ["retrieval", "Evidence"],
        ])}
        ${select("risk_tier", "Risk", filter.risk_tier, [
          ["", "Any risk"],
          ["high", "High"],
          ["medium", "Medium"],
          ["low", "Low"],
        ])}
        ${select("queue", "Queue", filter.queue, [
          ["", "Main and escalation"],
          ["main", "Main"],
          ["escalation", "Escalation"],
        ])}
        ${select("who", "Claimed", filter.who, [
          ["", "Anyone"],
          ["mine", "Mine"],
          ["unclaimed", "Unclaimed"],
        ])}
        <button type="submit">Filter</button>
        ${filtered ? html`<a href="/ui">Clear filters</a>` : ""}
      </form>
    </section>
    <section class="panel" aria-labelledby="queue-title">
      <h2 id="queue-title" class="sr-only">Items</h2>
      ${
        items.length === 0
          ? html`<p class="empty">
              ${filtered || input.paged ? "No items match." : "Nothing is waiting for review. Well done."}
            </p>`
          : html`<table class="queue">
              <caption class="sr-only">
                Items waiting for review, most urgent first
              </caption>
              <thead>
                <tr>
                  <th scope="col">Why it is here · question</th>
                  <th scope="col">Stage</th>
                  <th scope="col">Risk</th>
                  <th scope="col">Waiting</th>
                  <th scope="col">Due</th>
                  <th scope="col">Claimed by</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>`
      }
      <div class="pager">
        <span
          >${input.paged ? html`<a href="/ui${filterQuery(filter)}">← First page</a>` : ""}</span
        >
        <span
          >${input.nextCursor ? html`<a href="/ui${filterQuery(filter, { cursor: input.nextCursor })}" rel="next">Next page →</a>` : ""}</span
        >
      </div>
      <p class="hint">
        Most urgent first: highest risk and lowest scores, then the oldest. <kbd>j</kbd>/<kbd
          >k</kbd
        >
        move, <kbd>Enter</kbd> opens.
      </p>
    </section>`;
}
