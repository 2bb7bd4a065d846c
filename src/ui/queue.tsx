import type { Child } from "hono/jsx";
import { reviewStages, type ReviewStage } from "../graph/decision.js";
import type { ReviewListItem } from "../services/reviews.js";
import { Age, capitalize, Due, RiskBadge, StageBadge } from "./format.js";

/** The queue's filters; they travel with every link so j/k and "next" stay within them. */
export interface UiFilter {
  stage?: ReviewStage;
  risk_tier?: "low" | "medium" | "high";
  queue?: "main" | "escalation";
  who?: "mine" | "unclaimed";
}

const CHOICES = {
  stage: reviewStages,
  risk_tier: ["low", "medium", "high"],
  queue: ["main", "escalation"],
  who: ["mine", "unclaimed"],
} as const satisfies Record<keyof UiFilter, readonly string[]>;

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
  for (const [name, value] of Object.entries(all)) {
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

function Select(props: {
  name: keyof UiFilter;
  label: string;
  value: string | undefined;
  options: [value: string, text: string][];
}) {
  const id = `f-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name}>
        {props.options.map(([value, text]) => (
          <option value={value} selected={(props.value ?? "") === value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

export interface QueuePageInput {
  items: ReviewListItem[];
  filter: UiFilter;
  me: string;
  now: Date;
  nextCursor: string | null;
  /** True when this is not the first page. */
  paged: boolean;
  flash: Child;
}

function ClaimedBy(props: { item: ReviewListItem; me: string }) {
  const by = props.item.claimed_by;
  if (!by) return <span class="muted">nobody</span>;
  return by === props.me ? <strong>you</strong> : <>{by}</>;
}

function QueueRow(props: { item: ReviewListItem; filter: UiFilter; me: string; now: Date }) {
  const { item, now } = props;
  const href = `/ui/reviews/${item.review_id}${filterQuery(props.filter)}`;
  return (
    <tr class="row" data-href={href}>
      <td>
        <a class="reason" href={href}>
          {capitalize(item.reason)}
        </a>
        <span class="question">{item.question}</span>
      </td>
      <td class="nowrap">
        <StageBadge stage={item.stage} />
        {item.queue === "escalation" && (
          <>
            {" "}
            <span class="badge escalated">Escalated</span>
          </>
        )}
      </td>
      <td class="nowrap">
        <RiskBadge tier={item.risk_tier} />
      </td>
      <td class="nowrap">
        <Age createdAt={item.created_at} now={now} />
      </td>
      <td class="nowrap">
        <Due dueAt={item.due_at} now={now} />
      </td>
      <td class="nowrap">
        <ClaimedBy item={item} me={props.me} />
      </td>
    </tr>
  );
}

/** The queue's filters: each a select of its values, "" meaning any. */
const FILTERS: {
  name: keyof UiFilter;
  label: string;
  options: [value: string, text: string][];
}[] = [
  {
    name: "stage",
    label: "Stage",
    options: [
      ["", "Any stage"],
      ["answer", "Answer"],
      ["retrieval", "Evidence"],
    ],
  },
  {
    name: "risk_tier",
    label: "Risk",
    options: [
      ["", "Any risk"],
      ["high", "High"],
      ["medium", "Medium"],
      ["low", "Low"],
    ],
  },
  {
    name: "queue",
    label: "Queue",
    options: [
      ["", "Main and escalation"],
      ["main", "Main"],
      ["escalation", "Escalation"],
    ],
  },
  {
    name: "who",
    label: "Claimed",
    options: [
      ["", "Anyone"],
      ["mine", "Mine"],
      ["unclaimed", "Unclaimed"],
    ],
  },
];

function Filters(props: { filter: UiFilter }) {
  const { filter } = props;
  return (
    <form class="filters" id="filters" method="get" action="/ui" aria-label="Filter the queue">
      {FILTERS.map((f) => (
        <Select name={f.name} label={f.label} value={filter[f.name]} options={f.options} />
      ))}
      <button type="submit">Filter</button>
      {Object.keys(filter).length > 0 && <a href="/ui">Clear filters</a>}
    </form>
  );
}

function QueueTable(props: { children: Child }) {
  return (
    <table class="queue">
      <caption class="sr-only">Items waiting for review, most urgent first</caption>
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
      <tbody>{props.children}</tbody>
    </table>
  );
}

export function QueueBody(props: QueuePageInput) {
  const { filter, items } = props;
  const filtered = Object.keys(filter).length > 0;
  return (
    <>
      <h1>Waiting for review</h1>
      {props.flash}
      <section class="panel">
        <Filters filter={filter} />
      </section>
      <section class="panel" aria-labelledby="queue-title">
        <h2 id="queue-title" class="sr-only">
          Items
        </h2>
        {items.length === 0 ? (
          <p class="empty">
            {filtered || props.paged
              ? "No items match."
              : "Nothing is waiting for review. Well done."}
          </p>
        ) : (
          <QueueTable>
            {items.map((item) => (
              <QueueRow item={item} filter={filter} me={props.me} now={props.now} />
            ))}
          </QueueTable>
        )}
        <div class="pager">
          <span>{props.paged && <a href={`/ui${filterQuery(filter)}`}>← First page</a>}</span>
          <span>
            {props.nextCursor && (
              <a href={`/ui${filterQuery(filter, { cursor: props.nextCursor })}`} rel="next">
                Next page →
              </a>
            )}
          </span>
        </div>
        <p class="hint">
          Most urgent first: highest risk and lowest scores, then the oldest. <kbd>j</kbd>/
          <kbd>k</kbd> move, <kbd>Enter</kbd> opens.
        </p>
      </section>
    </>
  );
}
