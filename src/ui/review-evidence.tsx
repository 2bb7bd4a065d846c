/** What a reviewer checks: the draft with its citations, the judge's scores, the passages. */
import type { Child } from "hono/jsx";
import type { ReviewCard } from "../graph/review-card.js";
import { flagWord, Meter, score } from "./format.js";

const passageId = (chunkId: string): string => `passage-${chunkId}`;

/** The draft with each [n] marker linked to the passage it cites. */
function DraftWithCitations(props: {
  draft: NonNullable<ReviewCard["draft"]>;
  shown: Set<string>;
}) {
  const { draft, shown } = props;
  const parts: Child[] = [];
  let last = 0;
  for (const match of draft.text.matchAll(/\[(\d{1,3})\]/g)) {
    const at = match.index;
    parts.push(draft.text.slice(last, at));
    const citation = draft.citations.find((c) => c.marker === Number(match[1]));
    if (citation && shown.has(citation.chunk_id)) {
      const id = passageId(citation.chunk_id);
      parts.push(
        <a class="cite" href={`#${id}`} data-passage={id} title={`Source: ${citation.title}`}>
          [{match[1]}]
        </a>,
      );
    } else {
      const why = citation
        ? `cites "${citation.title}", which is not among the passages shown`
        : "cites no known passage";
      parts.push(
        <span class="cite missing" title={why}>
          [{match[1]}]
        </span>,
      );
    }
    last = at + match[0].length;
  }
  parts.push(draft.text.slice(last));
  return <>{parts}</>;
}

export function DraftPanel(props: { card: ReviewCard }) {
  const { draft, retrieval } = props.card;
  if (!draft) return null;
  const shown = new Set(retrieval.passages.map((p) => p.chunk_id));
  return (
    <section class="panel" aria-labelledby="draft-title">
      <h2 id="draft-title">Draft answer</h2>
      <p class="draft" id="draft-text">
        <DraftWithCitations draft={draft} shown={shown} />
      </p>
      <p class="hint">
        Written by {draft.provider}. Numbers in brackets cite a passage; select one to see it.
      </p>
    </section>
  );
}

export function JudgePanel(props: { card: ReviewCard }) {
  const judge = props.card.judge;
  if (!judge) return null;
  return (
    <section class="panel judge" aria-labelledby="judge-title">
      <h2 id="judge-title">Automatic check of the draft</h2>
      <div class="meters">
        <Meter label="Overall score" value={judge.score} threshold={judge.threshold} />
        <Meter label="Groundedness" value={judge.groundedness} />
        <Meter label="Coverage" value={judge.coverage} />
      </div>
      {judge.flags.length ? (
        <ul class="flags" aria-label="Problems found">
          {judge.flags.map((f) => (
            <li>{judge.explanations?.[f] ?? flagWord(f)}</li>
          ))}
        </ul>
      ) : (
        <p class="muted">No problems flagged.</p>
      )}
      <p class="rationale">
        <span class="sr-only">Rationale: </span>
        {judge.rationale}
      </p>
    </section>
  );
}

type Passage = ReviewCard["retrieval"]["passages"][number];

function PassageCard(props: { passage: Passage; n: number; cited?: number[]; choosable: boolean }) {
  const { passage: p, cited } = props;
  const id = passageId(p.chunk_id);
  return (
    <article class="passage" id={id} tabindex={-1} aria-labelledby={`${id}-title`}>
      <header>
        <span class="title" id={`${id}-title`}>
          {props.n}. {p.title}
        </span>
        <span class="pscore" title="How well this passage matches the question (0 to 1)">
          match {score(p.score)}
        </span>
      </header>
      {cited && (
        <div class="cited-as">Cited in the draft as {cited.map((m) => `[${m}]`).join(" ")}</div>
      )}
      <div class="text">
        {p.text.split(/\n\s*\n/).map((para) => (
          <p>{para}</p>
        ))}
      </div>
      {props.choosable && (
        <label class="choose">
          <input type="checkbox" class="choose-passage" value={p.chunk_id} /> Use this passage as
          evidence
        </label>
      )}
    </article>
  );
}

export function PassagesPanel(props: { card: ReviewCard; choosable: boolean }) {
  const { card } = props;
  const markers = new Map<string, number[]>();
  for (const c of card.draft?.citations ?? [])
    markers.set(c.chunk_id, [...(markers.get(c.chunk_id) ?? []), c.marker]);
  const title = card.stage === "answer" ? "Passages the draft may use" : "What the search found";
  return (
    <section class="panel retrieval" aria-labelledby="passages-title">
      <h2 id="passages-title">{title}</h2>
      <div class="meters">
        <Meter
          label="Best match"
          value={card.retrieval.score}
          threshold={card.retrieval.threshold}
        />
      </div>
      {card.retrieval.passages.length === 0 && (
        <p class="empty">No passage of the knowledge base matches the question.</p>
      )}
      <div class="passages">
        {card.retrieval.passages.map((p, i) => (
          <PassageCard
            passage={p}
            n={i + 1}
            cited={markers.get(p.chunk_id)}
            choosable={props.choosable}
          />
        ))}
      </div>
    </section>
  );
}
