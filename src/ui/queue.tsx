import type { Child } from "hono/jsx";
import { reviewStages, type ReviewStage } from "../graph/decision.js";
import type { ReasonGroupView, ReviewListItem } from "../services/reviews.js";
import { Age, capitalize, Due, REJECT_REASONS, RiskBadge, StageBadge } from "./format.js";

/** The queue's filters; they travel with every link so j/k and "next" stay within them. */
export interface UiFilter {
  stage?: ReviewStage;
  risk_tier?: "low" | "medium" | "high";
  queue?: "main" | "escalation";
  who?: "mine" | "unclaimed";
  /** A reason key (GET /reviews/reasons): only the items that paused for it. */
  reason?: string;
}

const CHOICES = {
  stage: reviewStages,
  risk_tier: ["low", "medium", "high"],
  queue: ["main", "escalation"],
  who: ["mine", "unclaimed"],
} as const satisfies Record<Exclude<keyof UiFilter, "reason">, readonly string[]>;

/** Reads the filters from a query, ignoring values that are not choices (a page never 400s on them). */
export function readFilter(query: (name: string) => string | undefined): UiFilter {
  const filter: Record<string, string> = {};
  for (const [name, values] of Object.entries(CHOICES)) {
    const value = query(name);
    if (value && (values as readonly string[]).includes(value)) filter[name] = value;
  }
  // Keys are free text (policy rule ids); only their length is bounded, and JSX escapes them.
  const reason = query("reason");
  if (reason && reason.length <= 200) filter.reason = reason;
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
    reason_key: filter.reason,
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

/** A queue item with its card version, which a batch decision is checked against. */
export type QueueItem = ReviewListItem & { version?: string };

export interface QueuePageInput {
  items: QueueItem[];
  /** The pending items grouped by reason, largest first. */
  reasons: ReasonGroupView[];
  /** Whether every item on the page starts ticked (`?select=all`). */
  selectAll: boolean;
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

function QueueRow(props: {
  item: QueueItem;
  filter: UiFilter;
  me: string;
  now: Date;
  picked: boolean;
}) {
  const { item, now } = props;
  const href = `/ui/reviews/${item.review_id}${filterQuery(props.filter)}`;
  return (
    <tr class="row" data-href={href}>
      <td class="pick">
        <PickBox item={item} checked={props.picked} />
      </td>
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

function Filters(props: { filter: UiFilter; reasons: ReasonGroupView[] }) {
  const { filter } = props;
  const reasons: [string, string][] = props.reasons.map((g) => [
    g.reason_key,
    `${capitalize(g.label)} (${g.count})`,
  ]);
  // A reason with nothing left waiting still shows as chosen.
  if (filter.reason && !reasons.some(([key]) => key === filter.reason))
    reasons.push([filter.reason, filter.reason]);
  return (
    <form class="filters" id="filters" method="get" action="/ui" aria-label="Filter the queue">
      {FILTERS.map((f) => (
        <Select name={f.name} label={f.label} value={filter[f.name]} options={f.options} />
      ))}
      <Select
        name="reason"
        label="Reason"
        value={filter.reason}
        options={[["", "Any reason"], ...reasons]}
      />
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
          <th scope="col">
            <span class="sr-only">Select</span>
          </th>
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

/**
 * An item's tick box. It belongs to the batch form by its `form` attribute (the table sits
 * outside it), and carries the card version the page showed, so a changed item is refused alone.
 */
function PickBox(props: { item: QueueItem; checked: boolean }) {
  const { item } = props;
  if (item.version === undefined) return null;
  return (
    <input
      type="checkbox"
      name="item"
      form="batch"
      value={`${item.review_id}:${item.version}`}
      checked={props.checked}
      aria-label={`Select: ${item.question}`}
    />
  );
}

/**
 * Approve or reject the ticked items together: a plain form POST (no script needed), checked
 * by the same origin rules as every form of the page. Each item is still decided on its own.
 */
function BatchForm(props: { filter: UiFilter; count: number }) {
  const { filter } = props;
  return (
    <form
      id="batch"
      class="batch"
      method="post"
      action="/ui/reviews/batch"
      aria-labelledby="batch-title"
    >
      <h3 id="batch-title">Decide the selected items together</h3>
      <p class="hint">
        Each item is decided as if on its own: an item that needs two approvals gets your vote, and
        one that changed since this page loaded is left for you to look at again.{" "}
        <a href={`/ui${filterQuery(filter, { select: "all" })}`} id="select-all">
          Select all {props.count} {filter.reason ? "with this reason " : ""}on this page
        </a>{" "}
        · <a href={`/ui${filterQuery(filter)}`}>Select none</a>
      </p>
      <input type="hidden" name="back" value={filterQuery(filter)} />
      <div class="field">
        <label for="batch-comment">Comment for the record (optional for approvals)</label>
        <input type="text" id="batch-comment" name="comment" maxlength={5000} autocomplete="off" />
      </div>
      <fieldset class="reasons-list">
        <legend class="hint">
          To reject: choose at least one reason, or say why in the comment.
        </legend>
        {REJECT_REASONS.map((r) => (
          <label>
            <input type="checkbox" name="reasons" value={r.value} /> {r.label}
          </label>
        ))}
      </fieldset>
      <div class="buttons">
        <button type="submit" name="action" value="approve" class="primary">
          Approve selected
        </button>
        <button type="submit" name="action" value="reject" class="danger">
          Reject selected
        </button>
      </div>
    </form>
  );
}

/** The queue by reason: each group a link to its items, and to them all ticked. */
function ReasonGroups(props: { reasons: ReasonGroupView[] }) {
  if (props.reasons.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="reasons-title">
      <h2 id="reasons-title">Items that share a reason</h2>
      <ul class="reason-groups">
        {props.reasons.map((g) => {
          const only = filterQuery({ reason: g.reason_key });
          const all = filterQuery({ reason: g.reason_key }, { select: "all" });
          return (
            <li data-reason={g.reason_key}>
              <a href={`/ui${only}`}>
                {g.count} {g.count === 1 ? "item" : "items"}: {g.label}
              </a>{" "}
              · <a href={`/ui${all}`}>select all with this reason</a>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

export function QueueBody(props: QueuePageInput) {
  const { filter, items } = props;
  const filtered = Object.keys(filter).length > 0;
  return (
    <>
      <h1>Waiting for review</h1>
      {props.flash}
      <ReasonGroups reasons={props.reasons} />
      <section class="panel">
        <Filters filter={filter} reasons={props.reasons} />
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
              <QueueRow
                item={item}
                filter={filter}
                me={props.me}
                now={props.now}
                picked={props.selectAll}
              />
            ))}
          </QueueTable>
        )}
        {items.length > 0 && <BatchForm filter={filter} count={items.length} />}
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
          <kbd>k</kbd> move, <kbd>Enter</kbd> opens, <kbd>x</kbd> ticks.
        </p>
      </section>
    </>
  );
}
