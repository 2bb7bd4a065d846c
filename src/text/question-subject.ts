/**
 * Which words of a question name its subject, and the other spellings a knowledge base may use
 * for a word, from general English alone (no word list of any one knowledge base). The offline
 * judge asks the knowledge base about these words only: a question about "magazines" that the
 * knowledge base never mentions is off its subject, but one that says "fit", "held" or "unpaid"
 * where the knowledge base says "for up to 12 people", "hold" or "paid" is not.
 */
import { isStopWord, stem } from "./terms.js";

/** Irregular verb forms and the base form a knowledge base is likelier to use. */
const IRREGULAR: Record<string, string> = Object.fromEntries(
  (
    "held:hold kept:keep built:build went:go gone:go goes:go got:get gotten:get made:make " +
    "took:take taken:take gave:give given:give left:leave came:come brought:bring bought:buy " +
    "paid:pay wrote:write written:write sent:send lost:lose stole:steal stolen:steal " +
    "broke:break broken:break wore:wear worn:wear sold:sell spent:spend lent:lend told:tell " +
    "said:say thought:think found:find saw:see seen:see knew:know known:know meant:mean " +
    "felt:feel ran:run became:become began:begin begun:begin chose:choose chosen:choose " +
    "drove:drive driven:drive ate:eat eaten:eat fell:fall fallen:fall forgot:forget " +
    "forgotten:forget hid:hide hidden:hide rode:ride ridden:ride sat:sit slept:sleep " +
    "spoke:speak spoken:speak stood:stand threw:throw thrown:throw understood:understand " +
    "woke:wake woken:wake won:win caught:catch taught:teach fought:fight flew:fly flown:fly " +
    "grew:grow grown:grow hung:hang heard:hear led:lead met:meet shown:show did:do done:do " +
    "was:be were:be been:be has:have had:have"
  )
    .split(" ")
    .map((pair) => pair.split(":") as [string, string]),
);

/**
 * Everyday verbs that are rarely a question's subject ("how many people fit", "which bus
 * goes"): a knowledge base that never uses them can still answer the question.
 */
const COMMON_VERBS = new Set(
  (
    "be have do go get make take give keep let put set send leave come bring buy pay fit hold " +
    "write stop hurt try use need want like know think see look find tell ask say show happen " +
    "seem feel become begin choose steal break lose sell spend lend eat sit stand speak throw " +
    "catch teach hear meet grow wear ride drive forget hide win allow mean turn stay wait help " +
    "work run move start end count apply mind matter"
  ).split(" "),
);

/** The stems of the everyday verbs and of their irregular forms ("writ", "held"). */
const COMMON_VERB_STEMS = new Set([
  ...[...COMMON_VERBS].map(stem),
  ...Object.entries(IRREGULAR)
    .filter(([, base]) => COMMON_VERBS.has(base))
    .map(([form]) => stem(form)),
]);

/** Everyday adjectives: they qualify a subject ("a wet floor") but are not one. */
const COMMON_ADJECTIVES = new Set(
  (
    "new old big small large little good bad best better worse worst long short high low early " +
    "late wet dry hot cold warm cool rude nice kind happy sad easy hard free full empty open " +
    "closed legal illegal public private safe clean dirty quick slow young other own same " +
    "different next last first whole real sure able possible likely extra usual normal"
  ).split(" "),
);

/** After these, the next word is a verb ("can I write", "to send", "they keep"). */
const BEFORE_A_VERB = new Set(
  (
    "i you we they he she it can could will would should may might must shall do does did " +
    "to not never don't doesn't didn't can't cannot won't wouldn't shouldn't couldn't"
  ).split(" "),
);

/** After these, a participle is a verb ("be held", "was built", "has paid"). */
const BE_OR_HAVE = new Set("is are was were be been being am has have had".split(" "));

/** Before these, a word is a verb taking an object ("stops me", "hurt my chances"). */
const BEFORE_AN_OBJECT = new Set(
  "me us them him it my your our their its the a an this these those".split(" "),
);

/**
 * Pronouns that stand for somebody or something unnamed ("someone", "anything") and contracted
 * pronouns ("I'm", "they're"): they never name what a question is about.
 */
const PRONOUNS = new Set(
  (
    "someone somebody something anyone anybody anything everyone everybody everything nobody " +
    "nothing none whoever whatever whichever one ones i'm i've i'd i'll you're you've you'd " +
    "you'll we're we've we'd we'll they're they've they'd they'll yourself myself ourselves " +
    "themselves"
  ).split(" "),
);

/**
 * Irregular plurals and their singulars ("children" / "child"), which full-text stemming does
 * not fold into one another.
 */
const IRREGULAR_PLURALS: [string, string][] = (
  "child:children person:people man:men woman:women foot:feet tooth:teeth mouse:mice " +
  "goose:geese ox:oxen knife:knives wife:wives life:lives leaf:leaves half:halves " +
  "shelf:shelves wolf:wolves loaf:loaves thief:thieves calf:calves"
)
  .split(" ")
  .map((pair) => pair.split(":") as [string, string]);

const OTHER_NUMBER = new Map<string, string>([
  ...IRREGULAR_PLURALS,
  ...IRREGULAR_PLURALS.map(([one, many]) => [many, one] as [string, string]),
]);

const DETERMINERS = new Set(
  "a an the my your our their his her its this that these those".split(" "),
);

/** Question words of this length or less, and numbers, say little about the subject. */
const MIN_SUBJECT_WORD = 3;

const TOKEN = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;

/** The base form of an irregular verb form ("held" → "hold"), else the word. */
function baseForm(word: string): string {
  return IRREGULAR[word] ?? word;
}

/** Whether a word, or a term's stem, is one of the everyday verbs ("goes", "held", "writ"). */
export function isCommonVerb(word: string): boolean {
  const lower = word.toLowerCase();
  return COMMON_VERBS.has(baseForm(lower)) || COMMON_VERB_STEMS.has(stem(lower));
}

/**
 * The words of a question that can name its subject, lower-cased, in order: content words in a
 * noun's position. Left out are everyday verbs and adjectives, words in a verb's position (after
 * "I", "can", "to"; a participle after "is" or "has"; a word taking an object, "stops me"),
 * "-ly" adverbs, "-ing" forms not led by a determiner, and pronouns for somebody unnamed
 * ("someone", "I'm"). A capitalised word inside a sentence (a name: "Westfield") always counts;
 * one starting a sentence ("Call me on …") is only capitalised.
 */
export function subjectWordsOf(question: string): string[] {
  const matches = [...question.matchAll(TOKEN)];
  const tokens = matches.map((m) => m[0]);
  const lower = tokens.map((t) => t.toLowerCase().replace(/’/g, "'").replace(/'s$/, ""));
  const out: string[] = [];
  tokens.forEach((token, i) => {
    const word = lower[i]!;
    if (word.length < MIN_SUBJECT_WORD || /^\d/.test(word) || isStopWord(word)) return;
    if (PRONOUNS.has(word)) return;
    const previous = lower[i - 1];
    const next = lower[i + 1];
    // A capital at the start of a sentence ("Call me on …") is not a name.
    const startsSentence = /(?:^|[.!?:]\s*)$/.test(question.slice(0, matches[i]!.index).trimEnd());
    const isName = !startsSentence && /^\p{Lu}/u.test(token) && token !== "I";
    if (isName) {
      out.push(word);
      return;
    }
    const afterDeterminer = previous !== undefined && DETERMINERS.has(previous);
    // "a meeting room", "the booking": an -ing form after a determiner is a noun.
    if (word.endsWith("ing") && afterDeterminer) {
      out.push(word);
      return;
    }
    if (isCommonVerb(word) || COMMON_ADJECTIVES.has(word)) return;
    if (word.endsWith("ly")) return;
    if (word.endsWith("ing") && word.length > 5) return;
    if (previous && BEFORE_A_VERB.has(previous)) return;
    if (previous && BE_OR_HAVE.has(previous) && (word.endsWith("ed") || word in IRREGULAR)) return;
    if (next && BEFORE_AN_OBJECT.has(next)) return;
    out.push(word);
  });
  return out;
}

/**
 * Other spellings of a word that a knowledge base may use for the same thing: the base form of
 * an irregular verb ("held" → "hold"), the word without a negating prefix ("unpaid" → "paid"),
 * the other number of an irregular noun ("child" / "children") and of a vowel-less acronym
 * ("dvd" / "dvds"), which full-text stemming does not fold. The word itself first.
 */
export function wordVariants(word: string): string[] {
  const lower = word.toLowerCase();
  const variants = new Set([lower, baseForm(lower)]);
  const prefixed = /^(?:un|non|dis|mis)(\p{L}{4,})$/u.exec(lower);
  if (prefixed) variants.add(prefixed[1]!).add(baseForm(prefixed[1]!));
  const otherNumber = OTHER_NUMBER.get(lower);
  if (otherNumber) variants.add(otherNumber);
  if (!/[aeiouy]/.test(lower)) variants.add(`${lower}s`);
  const acronymPlural = /^([^aeiouy]+)s$/.exec(lower);
  if (acronymPlural && acronymPlural[1]!.length >= 2) variants.add(acronymPlural[1]!);
  return [...variants];
}
