/**
 * What a question asks for, and whether a sentence can be an answer at all, from general
 * English alone (no word lists of any one knowledge base). The offline generator uses these to
 * pick sentences and the offline judge to flag drafts; both stay deterministic.
 */
import { stem, terms } from "./terms.js";

/** The kind of thing a question wants back, from its wh-words. */
export type AnswerType =
  | "phone"
  | "email"
  | "address"
  | "place"
  | "duration"
  | "frequency"
  | "quantity"
  | "time"
  | "person"
  | "examples";

/** Plain words for each kind, as the review card says them ("a phone number"). */
export const answerTypeWords: Record<AnswerType, string> = {
  phone: "a phone number",
  email: "an email address",
  address: "a street address",
  place: "a place",
  duration: "a length of time",
  frequency: 'how often (a number of times, "every …", "daily")',
  quantity: "a number or an amount",
  time: "a date or a time",
  person: "a person or an organisation",
  examples: "what counts (examples, a list of what is accepted)",
};

/** Question patterns, most specific first: the first that matches names the type. */
const QUESTION_TYPES: [AnswerType, RegExp][] = [
  ["email", /\b(?:what|which)\b[^?.]*\be-?mail(?:\s+address)?\b(?!\s+is\b)/i],
  [
    "phone",
    /\b(?:what|which)\b[^?.]*\b(?:phone|telephone|number (?:do|should|can|to) (?:i |we )?(?:call|ring|text|dial)|helpline|hotline)\b|\bwhat number\b/i,
  ],
  // "Proof of address" is a document, not a request for an address.
  ["address", /\b(?:what|which)\b[^?.]*(?<!\bof )\baddress\b/i],
  ["place", /^\s*where\b|\bwhere (?:is|are|can|do|does|should|must)\b/i],
  ["frequency", /\bhow often\b|\bhow many times\b/i],
  [
    "duration",
    /\bhow (?:long|soon|far ahead|far in advance)\b|\bhow many (?:days|weeks|months|years|hours|minutes)\b/i,
  ],
  [
    "quantity",
    /\bhow (?:many|much)\b|\bwhat (?:is|are) (?:the )?(?:\w+ )?(?:maximum|minimum|price|cost|fee|charge|rate|limit|amount|number|dose|dosage|percentage)\b/i,
  ],
  [
    "time",
    /^\s*when\b|\bwhen (?:is|are|do|does|did|will|should|can|must)\b|\bwhat time\b|\b(?:what|which) (?:day|date|month|year)\b|\bcut-?off\b/i,
  ],
  ["person", /^\s*who\b|\bwho (?:is|are|was|were|can|should|do|does|will|runs|owns)\b/i],
  // "What can I use as proof of address?" asks what counts as it, not for the thing itself.
  [
    "examples",
    /\bwhat (?:can|could|may|do|should) (?:i|we|you) (?:use|show|bring|provide|give|send) as\b|\bwhat (?:counts|qualifies|is accepted|are accepted|is allowed|are allowed) as\b|\bwhat (?:kinds?|types?|sorts?|forms?) of\b/i,
  ],
];

/**
 * The words naming the kind itself ("email address", "phone number"): they say what form the
 * answer takes, not what it is about, so the focus checks leave them out.
 */
const TYPE_WORDS: Partial<Record<AnswerType, RegExp>> = {
  email: /^(?:e-?mail|address)$/i,
  phone: /^(?:phone|telephone|number|mobile)$/i,
  address: /^address$/i,
};

/** Whether a word of the question only names the kind of answer it wants. */
export function namesAnswerType(word: string, type: AnswerType | null): boolean {
  return type !== null && (TYPE_WORDS[type]?.test(word) ?? false);
}

/** The kind of answer the question asks for, or null when its wording does not say. */
export function expectedAnswerType(question: string): AnswerType | null {
  for (const [type, pattern] of QUESTION_TYPES) if (pattern.test(question)) return type;
  return null;
}

const NUMBER_WORDS =
  /\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|thousand|once|twice|half|a (?:day|week|month|year|fortnight)|daily|weekly|monthly|yearly|annually|free|no charge|nothing|unlimited|never)\b/i;
const DIGIT = /\d/;
/** A length of time or of distance, a frequency, or an open-ended span ("until", "never"; not "a while"). */
const DURATION =
  /\b(?:seconds?|minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|fortnights?|months?|years?|decades?|hourly|daily|weekly|monthly|yearly|annually|immediately|instantly|indefinitely|permanently|never|forever|until|as long as|overnight|same day|mm|cm|metres?|meters?|km|feet|foot|ft|inches|miles?)\b/i;
const FREQUENCY =
  /\d|\b(?:once|twice|times|every|each|hourly|daily|weekly|monthly|yearly|annually|never|always|per|a (?:day|week|month|year))\b/i;
const EXAMPLES =
  /,[^.;]*\b(?:or|and)\b|\bsuch as\b|\binclud|\baccept|\be\.g\.|\bfor example\b|\bcounts? as\b|\bqualif/i;
const TIME_WORDS =
  /\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekdays?|weekends?|january|february|march|april|may|june|july|august|september|october|november|december|spring|summer|autumn|fall|winter|noon|midnight|morning|afternoon|evening|night|today|tomorrow|immediately|as soon as|before|after|until|within|once|every|annually|yearly|when|a\.m|p\.m)\b/i;
const PHONE = /(?:\+?\d{1,3}[ .-]?)?(?:\(?\d{3}\)?[ .-]?)?\d{3}[ .-]\d{4}\b/;
const EMAIL = /[\w.+-]+@[\w-]+\.[\w.-]+/;
const STREET = /\b\d+[a-z]?\s+(?:[A-Z][\w'-]*\s+){1,3}(?:[A-Z][\w'-]*)\b/;
/** A capitalised word that does not start the sentence: a name of a place, person or body. */
const PROPER_NOUN = /(?<=\S\s+)[A-Z][a-z'-]+/;
const PLACE_WORDS =
  /\b(?:at|in|on|from|near|inside|outside|beside|behind|next to|online|website|page|desk|counter|floor|entrance|room|office|app)\b/i;
const PERSON_WORDS =
  /\b(?:anyone|everyone|anybody|nobody|adults?|children|parents?|guardians?|members?|customers?|patients?|students?|staff|team|people|visitors?|residents?|doctors?|pharmacists?|nurses?|managers?|you)\b/i;

/** "Who is the centre manager?": the role's head noun (the last word). */
const ROLE_QUESTION =
  /^\s*who (?:is|are|was|were) (?:the|your|our|their) (?:[\w-]+ )*?([\w-]+)\s*\??\s*$/i;

/**
 * Whether `text` holds something of the asked-for kind (a number, a date, an address …). With the
 * question, a person or body must be one the question does not already name: "write to the
 * centre manager" does not say who the centre manager is.
 */
export function hasAnswerType(text: string, type: AnswerType, question?: string): boolean {
  switch (type) {
    case "phone":
      return PHONE.test(text);
    case "email":
      return EMAIL.test(text);
    case "address":
      return STREET.test(text) || EMAIL.test(text);
    case "place":
      return STREET.test(text) || (PLACE_WORDS.test(text) && PROPER_NOUN.test(text));
    case "duration":
      return DURATION.test(text);
    case "frequency":
      return FREQUENCY.test(text);
    case "quantity":
      return DIGIT.test(text) || NUMBER_WORDS.test(text);
    case "examples":
      return EXAMPLES.test(text);
    case "time":
      return DIGIT.test(text) || TIME_WORDS.test(text);
    case "person": {
      if (question === undefined) return PROPER_NOUN.test(text) || PERSON_WORDS.test(text);
      const asked = new Set(terms(question));
      const fresh = (pattern: RegExp) =>
        [...text.matchAll(new RegExp(pattern.source, `${pattern.flags}g`))].some(
          (m) => !asked.has(stem(m[0].toLowerCase())),
        );
      // "Who is the centre manager?": who holds the role, so the answer names the role too.
      const role = ROLE_QUESTION.exec(question)?.[1];
      if (role && !terms(text).includes(stem(role.toLowerCase()))) return false;
      return fresh(PROPER_NOUN) || fresh(PERSON_WORDS);
    }
  }
}

/**
 * A focus that a question can word one way and the knowledge base another: "the maximum" is
 * "not more than" or "up to" in the answer. Only general-language paraphrases.
 */
export interface FocusConcept {
  name: string;
  /** Plain words for the review card. */
  words: string;
  question: RegExp;
  answer: RegExp;
}

export const FOCUS_CONCEPTS: FocusConcept[] = [
  {
    name: "maximum",
    words: 'the most allowed (a maximum, "no more than", "up to")',
    question:
      /\b(?:maximum|max|the most|at most|upper limit|limit|highest|longest|largest|biggest)\b/i,
    answer:
      /\b(?:maximum|max|at most|no more than|not more than|more than|up to|limit|highest|longest|largest|or less|or fewer|capped)\b/i,
  },
  {
    name: "minimum",
    words: 'the least required (a minimum, "at least", "or more")',
    question: /\b(?:minimum|min|at least|the least|lowest|fewest|shortest|smallest)\b/i,
    answer:
      /\b(?:minimum|min|at least|no less than|not less than|or more|or over|lowest|shortest)\b/i,
  },
  {
    name: "deadline",
    words: 'a deadline ("before", "by", "no later than")',
    question: /\b(?:cut-?off|deadline|latest|last (?:day|date|time)|order by|by when)\b/i,
    answer: /\b(?:cut-?off|deadline|before|by|no later than|until|within|latest)\b/i,
  },
  {
    name: "opening_hours",
    words: 'when a place is open ("open from … to …", "closes at")',
    question:
      /\b(?:opening (?:hours|times)|closing times?|hours on|hours (?:of|for) (?:the |a |your )?\w+|what time (?:does|do|is|are) .*\b(?:open|close)|(?:is|are) .*\bopen (?:on|at|until)\b)/i,
    answer: /\b(?:open|opens|opened|close|closes|closed|closing)\b/i,
  },
  {
    name: "expiry",
    words: 'when something stops being valid ("expires", "valid for")',
    question: /\b(?:expire|expires|expiry|expiration|valid|validity)\b/i,
    answer: /\b(?:expir\w*|valid\w*|never|lasts?|after \d|for \d)\b/i,
  },
];

/** A bound ("no more than 4,000 mg", "$75 or more") names its number within three words. */
const NEAR_NUMBER = String.raw`(?:\S+\s+){0,3}?[$£€]?\d`;

/**
 * Whether a sentence states the concept: a bound (maximum, minimum) only with its number next
 * to the wording, so "a lower maximum may be needed if …" does not answer "what is the maximum".
 */
export function statesConcept(sentence: string, concept: FocusConcept): boolean {
  if (concept.name !== "maximum" && concept.name !== "minimum")
    return concept.answer.test(sentence);
  const wording = concept.answer.source;
  const after = new RegExp(`(?:${wording})\\s+${NEAR_NUMBER}`, "i");
  const before = new RegExp(String.raw`\d[\d,.%]*\s+(?:\S+\s+){0,3}?(?:${wording})`, "i");
  return after.test(sentence) || before.test(sentence);
}

/** The wh-phrase of a question ("how long", "what time"): words about the form, not the subject. */
export const WH_PHRASE =
  /\b(?:how (?:long|many|much|soon|often|far(?: ahead| in advance)?)|what time|what number|what happens|which (?:day|date|month|year))\b/gi;

/** The focus concepts the question asks about. */
export function focusConcepts(question: string): FocusConcept[] {
  return FOCUS_CONCEPTS.filter((c) => c.question.test(question));
}

const BOILERPLATE =
  /\b(?:last updated|last reviewed|all rights reserved|copyright|this page is part of|page \d+ of \d+|table of contents|terms of use|cookie)\b|©/i;

/**
 * Why a sentence of a passage is not an answer: a heading ("## Loan periods"), a title without a
 * sentence's shape, page boilerplate ("Last updated …", "©"), a question used as a heading
 * ("Questions?"), or a list's lead-in ending in a colon. Null when it reads as a statement.
 */
export function notAStatement(sentence: string): string | null {
  const text = sentence.replace(/\[\d+\]/g, "").trim();
  if (/^#{1,6}\s/.test(text)) return "a heading";
  if (BOILERPLATE.test(text)) return "page boilerplate";
  if (/^[_*].*[_*]$/.test(text)) return "page boilerplate";
  // One sentence of an emphasised line of several ("_Visitor guide, part 4. Last updated …_").
  const emphasis = /^[_*]|[_*]$/.exec(text)?.[0];
  if (emphasis && text.split(emphasis).length % 2 === 0) return "page boilerplate";
  if (text.endsWith(":")) return "the lead-in of a list, without the list";
  if (text.endsWith("?")) return "a question, not an answer";
  const words = text.split(/\s+/).filter(Boolean);
  if (!/[.!;)]$/.test(text) && words.length <= 8) {
    const capitalised = words.filter((w) => /^[A-Z0-9&]/.test(w)).length;
    if (capitalised >= Math.ceil(words.length / 2) || words.length <= 4) return "a title";
  }
  return null;
}

/**
 * The question without the asker's own data (emails, phone and card numbers) and the words
 * introducing it ("my email is", "call me on"): "call me on 503-555-0199" says nothing about
 * what the answer should contain.
 */
export function withoutPersonalData(question: string): string {
  return question
    .replace(/[\w.+-]+@[\w-]+\.[\w.-]+/g, PERSONAL)
    .replace(/\+?\d[\d ().-]{6,}\d/g, PERSONAL)
    .replace(INTRODUCES_PERSONAL, " ")
    .replace(new RegExp(PERSONAL, "g"), " ");
}

const PERSONAL = "\u0000";

/** The words that introduce the asker's own data: "my email is …", "call me on …". */
const INTRODUCES_PERSONAL = new RegExp(
  String.raw`\b(?:(?:my|our)\s+(?:e-?mail|phone|mobile|telephone|card|account|contact)?\s*(?:address|number|details)?\s*(?:is|:)|(?:call|ring|text|phone|e-?mail|contact|reach|message)\s+(?:me|us)\s+(?:on|at|via)?)\s*(?=\u0000)`,
  "gi",
);

/**
 * The section heading (level 2 or deeper) a sentence of a passage sits under, or null: "Items
 * found in a branch are kept for 4 weeks" under "## Lost property" is about lost property. A
 * document's title (level 1) is left out: it is about every sentence alike.
 */
export function sectionHeadingOf(passageText: string, sentence: string): string | null {
  const probe = sentence
    .replace(/\[\d+\]/g, "")
    .trim()
    .slice(0, 40);
  const at = probe ? passageText.indexOf(probe) : -1;
  if (at === -1) return null;
  const before = passageText.slice(0, at).split("\n");
  for (let i = before.length - 1; i >= 0; i--) {
    const heading = /^#{1,6}\s+(.*)$/.exec(before[i]!.trim());
    if (heading) return before[i]!.trim().startsWith("# ") ? null : heading[1]!;
  }
  return null;
}

/** The auxiliary a yes/no question starts with ("Is …", "Can I …", "Do you …"). */
const YES_NO_START =
  /^(?:is|are|was|were|am|do|does|did|can|could|will|would|may|might|should|must|shall|has|have|had)\b/i;

const NEGATION = /\b(?:not|no|never|cannot|without|none|nothing|nobody|neither|nor)\b|n['’]t\b/i;

/** Opposites a passage may state a "no" with: "closed on Sunday" answers "open on Sunday?". */
const OPPOSITES: [RegExp, RegExp][] = [
  [/\bopen(?:s|ed)?\b/i, /\bclos(?:e|es|ed|ing)\b/i],
  [/\b(?:allowed|permitted)\b/i, /\b(?:forbidden|prohibited|banned)\b/i],
  [/\bavailable\b/i, /\bunavailable\b/i],
  [/\bincluded\b/i, /\bexcluded\b/i],
];

/**
 * The clause of a question asking yes or no ("is a spin class safe for me?" after "I take beta
 * blockers for my heart,"), or null: an "X or Y?" question asks which, not whether.
 */
export function yesNoClause(question: string): string | null {
  const asked = question
    .split(/(?<=[?.!])\s+/)
    .find((s) => s.trim().endsWith("?"))
    ?.trim();
  if (!asked) return null;
  const clause = asked.split(/,\s*/).at(-1)!;
  const text = YES_NO_START.test(asked) ? asked : clause;
  if (!YES_NO_START.test(text) || /\bor\b/i.test(text)) return null;
  return text;
}

/** Whether a draft starts with an explicit answer to a yes/no question ("Yes.", "No,"). */
export function leadsWithYesOrNo(text: string): boolean {
  return /^\s*(?:yes|no)\b/i.test(text);
}

/**
 * The answer a sentence gives to a yes/no question, or null when it does not state one: it must
 * speak about all of the question's words but one (an opposite counts: "closed" for "open"), and
 * says "no" when the clause holding most of them negates ("cannot be renewed", "never expire")
 * or states an opposite, unless the question itself negates ("without being a member").
 */
export function statedPolarity(clause: string, sentence: string): "yes" | "no" | null {
  const wanted = [...new Set(terms(clause.replace(YES_NO_START, " ")))];
  if (wanted.length === 0) return null;
  const opposite = (part: string) =>
    OPPOSITES.some(
      ([a, b]) => (a.test(clause) && b.test(part)) || (b.test(clause) && a.test(part)),
    );
  const covers = (part: string) => {
    const have = terms(part);
    return wanted.filter((w) => have.some((h) => sameWord(h, w))).length + (opposite(part) ? 1 : 0);
  };
  const covered = covers(sentence);
  if (covered < Math.min(2, wanted.length) || covered < wanted.length - 1) return null;
  // The clause about the question's last word, its complement ("… open on Sunday?"), carries the
  // answer ("open Tuesday to Saturday … and is closed on Sunday"); else the one saying most.
  // "and" joins clauses only before a verb: "cotton shorts and T-shirts are not allowed" is one.
  const parts = sentence.split(
    /[;,:]|\b(?:but|except|unless|whereas)\b|\band (?=(?:is|are|was|were|can|cannot|must|will|may|do|does|has|have|should)\b)/i,
  );
  const last = wanted.at(-1)!;
  const best =
    parts.find((p) => terms(p).some((h) => sameWord(h, last))) ??
    parts.reduce((a, b) => (covers(b) > covers(a) ? b : a));
  const negated = NEGATION.test(best) || opposite(best);
  return negated !== NEGATION.test(clause) ? "no" : "yes";
}

/** One term a form of the other ("renew" / "renewed"), as the judge's coverage meets them. */
function sameWord(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return short === long || (short.length >= 3 && long.startsWith(short));
}

const WH_OR_AUX = String.raw`(?:what|how|when|where|who|which|why|whose|is|are|can|could|do|does|will|should|must)\b`;

/**
 * The parts a question asks separately, when it asks more than one: two questions ("… ? … ?"),
 * two wh-clauses ("what do I bring and how long does it take"), or the alternatives of a
 * yes/no question ("can I pay by card or by cheque?", each needing an answer). Each part is its
 * own wording; a single-part question gives [].
 */
export function askedParts(question: string): string[] {
  const asked = withoutPersonalData(question);
  const questions = asked
    .split(/(?<=\?)\s+/)
    .map((s) => s.trim())
    .filter((s) => s.endsWith("?"));
  if (questions.length >= 2) return questions;
  const one = questions[0] ?? asked;
  const clauses = one.split(new RegExp(String.raw`,?\s+and\s+(?=${WH_OR_AUX})`, "i"));
  if (clauses.length >= 2) return clauses;
  const alternatives = YES_NO_START.test(one.trim()) ? one.split(/\s+or\s+/i) : [];
  return alternatives.length === 2 ? alternatives : [];
}
