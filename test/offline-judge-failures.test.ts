import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../src/env.js";
import { openEvalEnvironment, type EvalEnvironment } from "../src/evals/runner-environment.js";
import { defaultPolicy } from "../src/graph/default-policy.js";
import { answerGate } from "../src/graph/gates.js";
import { classifyRequest } from "../src/graph/policy.js";
import {
  ExtractiveGenerator,
  quotableSentences,
} from "../src/providers/offline/extractive-generator.js";
import { LexicalJudge } from "../src/providers/offline/lexical-judge.js";
import type { Draft, Passage } from "../src/providers/types.js";
import {
  askedParts,
  expectedAnswerType,
  hasAnswerType,
  notAStatement,
  sectionHeadingOf,
  statedPolarity,
  withoutPersonalData,
  yesNoClause,
} from "../src/text/answer-shape.js";
import { subjectWordsOf, wordVariants } from "../src/text/question-subject.js";

/**
 * The usual failures of an extractive answer (issue 11), one class per block: a heading quoted as
 * the answer, an answer without the kind of thing asked for, the right passage but the wrong
 * sentence, a subject the knowledge base never mentions, and risk-tier phrasings the keyword
 * policy used to miss. The unknown-subject checks run against a real (embedded) Postgres.
 */

const passage = (chunk_id: string, title: string, text: string): Passage => ({
  chunk_id,
  document_id: `doc-${chunk_id}`,
  title,
  text,
  score: 1,
});

const cited = (text: string, chunkId = "a", title = "Doc"): Draft => ({
  text: `${text} [1]`,
  citations: [{ marker: 1, chunk_id: chunkId, title }],
  provider: "test",
});

const DOSING = passage(
  "a",
  "Dosing",
  [
    "# Dosing",
    "",
    "_Last updated 1 March 2026._",
    "",
    "The usual adult dose is 500 mg to 1,000 mg, taken every 4 to 6 hours.",
    "",
    "A lower daily maximum may be needed if you weigh less than 50 kg.",
    "",
    "Adults should not take more than 4,000 mg in any 24-hour period.",
    "",
    "Early signs of an overdose include:",
    "",
    "- Feeling sick.",
    "- Pain in the upper belly.",
  ].join("\n"),
);

describe("headings and boilerplate", () => {
  it.each([
    ["## Loan periods", "a heading"],
    ["_Last updated 14 March 2026._", "page boilerplate"],
    ["© 2026 Riverton County Council.", "page boilerplate"],
    ["Questions?", "a question, not an answer"],
    ["You will need the following documents:", "the lead-in of a list, without the list"],
    ["Opening Hours and Branches", "a title"],
    // One sentence of an emphasised line of several.
    ["_Harbourside visitor guide, part 4.", "page boilerplate"],
    ["Last changed in 2026._", "page boilerplate"],
  ])("%s is %s", (sentence, what) => {
    expect(notAStatement(sentence)).toBe(what);
  });

  it("takes statements for statements", () => {
    expect(notAStatement("Books are lent for 3 weeks.")).toBeNull();
    expect(notAStatement("Laptops cannot be renewed.")).toBeNull();
  });

  it("never quotes a heading, and quotes a list's lead-in with its items", () => {
    const quotable = quotableSentences(DOSING.text).map((q) => q.sentence);
    expect(quotable).not.toContain("# Dosing");
    expect(quotable).not.toContain("_Last updated 1 March 2026._");
    expect(quotable).toContain(
      "Early signs of an overdose include: Feeling sick; Pain in the upper belly.",
    );
  });

  it("flags a draft that quotes a heading, saying which line", async () => {
    const judgment = await new LexicalJudge().judge({
      question: "What are the loan periods?",
      evidence: [passage("a", "Borrowing", "## Loan periods\n\nBooks are lent for 3 weeks.")],
      draft: cited("## Loan periods"),
    });
    expect(judgment.flags).toContain("heading_quoted");
    expect(judgment.explanations?.heading_quoted).toBe(
      'the draft quotes a heading as if it were the answer: "## Loan periods"',
    );
  });
});

describe("the kind of thing asked for", () => {
  it.each([
    ["Who can join the library?", "person"],
    ["How many items can I borrow?", "quantity"],
    ["How much does colour printing cost?", "quantity"],
    ["How long is a card valid?", "duration"],
    ["When does the branch close on Christmas Eve?", "time"],
    ["What time do I need to order by?", "time"],
    ["Where is the Central Library?", "place"],
    ["What is the address of the Portland store?", "address"],
    ["What number do I call to report a lost card?", "phone"],
    ["Which email address do I write to?", "email"],
    // A document called "proof of address" is not a request for an address.
    ["What can I use as proof of address when I join?", "examples"],
    ["How often can I renew a book?", "frequency"],
    ["Can I renew a laptop?", null],
    // The asker's own email is not what is asked for.
    ["Can I renew by phone? My email is sam@example.com", null],
  ])("%s wants %s", (question, type) => {
    expect(expectedAnswerType(question)).toBe(type);
  });

  it("finds numbers, times, places, phone numbers and emails", () => {
    expect(hasAnswerType("Books are lent for 3 weeks.", "duration")).toBe(true);
    expect(hasAnswerType("Books are lent for a while.", "duration")).toBe(false);
    // A count is not a length of time: "renew up to 3 times" does not answer "how long".
    expect(hasAnswerType("You can renew an item up to 3 times.", "duration")).toBe(false);
    expect(hasAnswerType("You can renew an item up to 3 times.", "frequency")).toBe(true);
    expect(hasAnswerType("A bank statement or a utility bill is accepted.", "examples")).toBe(true);
    expect(hasAnswerType("Branches close at 2:00 p.m.", "time")).toBe(true);
    expect(hasAnswerType("The store is at 215 Alder Street, Portland.", "address")).toBe(true);
    expect(hasAnswerType("Use the address on the Repairs page.", "address")).toBe(false);
    expect(hasAnswerType("Call 1-800-555-0177 at any time.", "phone")).toBe(true);
    expect(hasAnswerType("Call the number on the back of your card.", "phone")).toBe(false);
    expect(hasAnswerType("Write to privacy@example.org.", "email")).toBe(true);
  });

  it("flags a draft without the asked-for kind, in plain words", async () => {
    const evidence = [
      passage("a", "Cards", "If your card is lost, report it to us immediately. Call 555-0142."),
    ];
    const judgment = await new LexicalJudge().judge({
      question: "What number do I call to report a lost card?",
      evidence,
      draft: cited("If your card is lost, report it to us immediately."),
    });
    expect(judgment.flags).toContain("answer_type_missing");
    expect(judgment.explanations?.answer_type_missing).toBe(
      "the question asks for a phone number, and the draft gives none",
    );
    // The gate gives the reviewer those words, not only the flag's name.
    const gate = answerGate(
      { riskTier: "low", policyMatches: [], judgment, auditSample: false },
      { judgeThreshold: 0 },
    );
    expect(gate.reasons).toContain(
      "the question asks for a phone number, and the draft gives none",
    );

    const right = await new LexicalJudge().judge({
      question: "What number do I call to report a lost card?",
      evidence,
      draft: cited("Call 555-0142."),
    });
    expect(right.flags).not.toContain("answer_type_missing");
  });

  it("makes the generator prefer the sentence holding the kind asked for", async () => {
    const draft = await new ExtractiveGenerator().generate({
      question: "What number do I call to report a lost card?",
      evidence: [
        passage(
          "a",
          "Cards",
          "If your card is lost, report it to us immediately.\n\nTo report a lost card, call 555-0142.",
        ),
      ],
    });
    expect(draft.text).toBe("To report a lost card, call 555-0142. [1]");
  });
});

describe("the question's focus", () => {
  it("quotes the stated maximum, not the usual dose or a conditional maximum", async () => {
    const draft = await new ExtractiveGenerator().generate({
      question: "What is the maximum daily dose for adults?",
      evidence: [DOSING],
    });
    expect(draft.text).toBe("Adults should not take more than 4,000 mg in any 24-hour period. [1]");
  });

  it("flags the usual dose given for the maximum, naming the paraphrases", async () => {
    const judgment = await new LexicalJudge().judge({
      question: "What is the maximum daily dose for adults?",
      evidence: [DOSING],
      draft: cited("The usual adult dose is 500 mg to 1,000 mg, taken every 4 to 6 hours."),
    });
    expect(judgment.flags).toContain("focus_missing");
    expect(judgment.explanations?.focus_missing).toMatch(/the most allowed.*no more than/);
    const right = await new LexicalJudge().judge({
      question: "What is the maximum daily dose for adults?",
      evidence: [DOSING],
      draft: cited("Adults should not take more than 4,000 mg in any 24-hour period."),
    });
    expect(right.flags).toEqual([]);
  });

  it("flags the right passage but the wrong sentence", async () => {
    const evidence = [
      passage(
        "a",
        "Rentals",
        "You need a photo ID to open an account.\n\nTo rent a tent you must be 18 or over.",
      ),
    ];
    const judgment = await new LexicalJudge().judge({
      question: "Can I rent a tent at 16?",
      evidence,
      draft: cited("You need a photo ID to open an account."),
    });
    expect(judgment.flags).toContain("focus_missing");
    expect(judgment.explanations?.focus_missing).toMatch(/right passage but the wrong sentence/);
  });
});

describe("section headings as a sentence's context", () => {
  const LOST = [
    "# Conduct and Lost Property",
    "",
    "## Privacy",
    "",
    "CCTV recordings are kept for 31 days.",
    "",
    "## Lost property",
    "",
    "Items found in a branch are kept for 4 weeks.",
  ].join("\n");

  it("finds the section heading a sentence sits under, not the document title", () => {
    expect(sectionHeadingOf(LOST, "Items found in a branch are kept for 4 weeks.")).toBe(
      "Lost property",
    );
    expect(sectionHeadingOf("# Title\n\nOne sentence.", "One sentence.")).toBeNull();
  });

  it("quotes the sentence under the heading the question names, and the judge takes it", async () => {
    const evidence = [passage("a", "Conduct", LOST)];
    const question = "How long is lost property kept?";
    const draft = await new ExtractiveGenerator().generate({ question, evidence });
    expect(draft.text).toBe("Items found in a branch are kept for 4 weeks. [1]");
    const judgment = await new LexicalJudge().judge({ question, evidence, draft });
    expect(judgment.flags).toEqual([]);
  });
});

describe("which words are a question's subject", () => {
  it.each([
    ["How many people fit in a meeting room?", ["people", "meeting", "room"]],
    ["How long will a reserved item be held for me?", ["reserved", "item"]],
    [
      "Which email address do I write to for a copy of my data?",
      ["email", "address", "copy", "data"],
    ],
    ["How much in unpaid charges stops me from borrowing?", ["unpaid", "charges"]],
    [
      "What are the opening hours of the Westfield Branch?",
      ["opening", "hours", "westfield", "branch"],
    ],
    ["Would I have to pay if a borrowed laptop was stolen?", ["borrowed", "laptop"]],
    // Pronouns for somebody unnamed, contracted pronouns and a sentence's first capital are not
    // subjects; a name inside a sentence still is.
    ["Is it legal for someone to film my child at the pool?", ["child", "pool"]],
    ["Can I join a class if I'm pregnant?", ["class", "pregnant"]],
    ["Can I freeze my membership? Call me about Westfield.", ["membership", "westfield"]],
  ])("%s -> %j", (question, words) => {
    expect(subjectWordsOf(question)).toEqual(words);
  });

  it("knows the spellings a knowledge base may use instead", () => {
    expect(wordVariants("held")).toContain("hold");
    expect(wordVariants("unpaid")).toContain("paid");
    expect(wordVariants("dvd")).toContain("dvds");
    expect(wordVariants("dvds")).toContain("dvd");
    expect(wordVariants("news")).toEqual(["news"]);
    expect(wordVariants("child")).toContain("children");
    expect(wordVariants("people")).toContain("person");
  });
});

describe("subjects the knowledge base never mentions (real Postgres)", () => {
  let kbDir: string;
  let environment: EvalEnvironment;

  beforeAll(async () => {
    kbDir = await mkdtemp(path.join(tmpdir(), "signoff-kb-"));
    await writeFile(
      path.join(kbDir, "borrowing.md"),
      "# Borrowing\n\nOverdue DVDs are charged 25 cents per day.\n\nBooks are lent for 3 weeks.\n",
    );
    // The offline providers over a fresh in-memory PGlite with that one document.
    environment = await openEvalEnvironment({ env: parseEnv({}), kbDirs: [kbDir] });
  });

  afterAll(async () => {
    await environment?.close();
    if (kbDir) await rm(kbDir, { recursive: true, force: true });
  });

  it("flags a question whose subject is missing even when its common words match", async () => {
    const evidence = [passage("a", "Borrowing", "Overdue DVDs are charged 25 cents per day.")];
    const judge = environment.context.providers.judge;
    const magazines = await judge.judge({
      question: "How much are overdue magazines charged?",
      evidence,
      draft: cited("Overdue DVDs are charged 25 cents per day."),
    });
    expect(magazines.flags).toContain("unknown_subject");
    expect(magazines.explanations?.unknown_subject).toMatch(/never mentions "magazines"/);
    const dvds = await judge.judge({
      question: "How much are overdue DVDs charged?",
      evidence,
      draft: cited("Overdue DVDs are charged 25 cents per day."),
    });
    // "charge" and "charged" meet through the knowledge base's own stemming.
    expect(dvds.flags).toEqual([]);
    // "DVD" meets "DVDs" (full-text stemming leaves a vowel-less plural alone), and an everyday
    // verb the knowledge base does not use ("fit", "held") is not the question's subject.
    for (const question of [
      "How much is an overdue DVD charged?",
      "How many cents a day does an overdue DVD get charged?",
    ]) {
      const judgment = await judge.judge({
        question,
        evidence,
        draft: cited("Overdue DVDs are charged 25 cents per day."),
      });
      expect(judgment.flags).not.toContain("unknown_subject");
    }
  });
});

describe("the asker's own data", () => {
  it("leaves out the data and the words introducing it", () => {
    expect(withoutPersonalData("Can I freeze it? Call me on 503-555-0147.").trim()).toBe(
      "Can I freeze it?   .".trim(),
    );
    expect(withoutPersonalData("My email is jo@example.com. How do I cancel?")).not.toMatch(
      /email/,
    );
    // A card that was declined is the subject, not an introduction.
    expect(withoutPersonalData("My card 4111 1111 1111 1111 was declined.")).toMatch(/My card/);
  });
});

describe("who holds a role", () => {
  it("does not take the role itself for the person", () => {
    const question = "Who is the centre manager?";
    expect(
      hasAnswerType("Write to the centre manager at feedback@example.org.", "person", question),
    ).toBe(false);
    expect(
      hasAnswerType("Harbourside Leisure Centre is at 18 Dock Street.", "person", question),
    ).toBe(false);
    expect(hasAnswerType("The centre manager is Ann Reid.", "person", question)).toBe(true);
    // Without a role asked about, a group of people answers "who".
    expect(hasAnswerType("Anyone aged 16 or over can join.", "person", "Who can join?")).toBe(true);
  });
});

describe("yes/no questions", () => {
  it.each([
    [
      "Is the Eastgate Branch open on Sunday?",
      "It is open Tuesday to Saturday and is closed on Sunday.",
      "no",
    ],
    ["Do gift cards expire?", "Gift cards never expire.", "no"],
    [
      "Can I swim in cotton shorts?",
      "Swimwear must be worn; cotton shorts and T-shirts are not allowed.",
      "no",
    ],
    [
      "Can I use the gym without being a member?",
      "A day pass lets you use the gym without a membership.",
      "yes",
    ],
    ["Is there a joining fee?", "New members pay a one-off joining fee of $20.", "yes"],
    // Most of the question unspoken: no answer stated.
    [
      "Is it legal for an instructor to stop me joining a class?",
      "Tell the instructor before the class.",
      null,
    ],
  ])("%s / %s -> %s", (question, sentence, polarity) => {
    expect(statedPolarity(yesNoClause(question)!, sentence)).toBe(polarity);
  });

  it("finds the clause asking yes or no, and not an either-or question", () => {
    expect(yesNoClause("I take beta blockers, is a spin class safe for me?")).toBe(
      "is a spin class safe for me?",
    );
    expect(yesNoClause("Is the pool heated or cold?")).toBeNull();
    expect(yesNoClause("How long are books lent for?")).toBeNull();
  });

  it("leads the draft with the stated answer, and the judge flags a draft stating neither", async () => {
    const evidence = [
      passage("a", "Loans", "Laptops cannot be renewed.\n\nBooks are lent for 3 weeks."),
    ];
    const draft = await new ExtractiveGenerator().generate({
      question: "Can I renew a laptop?",
      evidence,
    });
    expect(draft.text).toMatch(/^No\. Laptops cannot be renewed\./);
    const judge = new LexicalJudge();
    expect(
      (await judge.judge({ question: "Can I renew a laptop?", evidence, draft })).flags,
    ).toEqual([]);
    const neither = await judge.judge({
      question: "Can I renew a laptop?",
      evidence,
      draft: cited("Books are lent for 3 weeks."),
    });
    expect(neither.flags).toContain("answer_type_missing");
    expect(neither.explanations?.answer_type_missing).toMatch(/yes or no/);
  });
});

describe("questions asking two things", () => {
  it("splits two questions, two wh-clauses and a yes/no question's alternatives", () => {
    expect(askedParts("How much does shipping cost and how long does it take?")).toHaveLength(2);
    expect(askedParts("Where is the pool? When does it open?")).toHaveLength(2);
    expect(askedParts("Can I pay by card or by cheque?")).toHaveLength(2);
    expect(askedParts("How much does shipping cost?")).toEqual([]);
  });

  it("flags a draft answering only one part, naming the other", async () => {
    const question = "How much does Standard shipping cost and how long does it take?";
    const evidence = [
      passage(
        "a",
        "Shipping",
        "Standard shipping costs $6.95.\n\nStandard shipping takes 3 to 7 days.",
      ),
    ];
    const judge = new LexicalJudge();
    const partial = await judge.judge({
      question,
      evidence,
      draft: cited("Standard shipping costs $6.95."),
    });
    expect(partial.flags).toContain("focus_missing");
    expect(partial.explanations?.focus_missing).toMatch(/how long does it take/);
    const both = await judge.judge({
      question,
      evidence,
      draft: cited("Standard shipping takes 3 to 7 days and costs $6.95."),
    });
    expect(both.flags).toEqual([]);
  });
});

describe("risk tiers for indirect phrasings", () => {
  it.each([
    ["Is it legal for the shop to keep my deposit?", "high"],
    ["Can they keep my passport if I leave it behind?", "high"],
    ["Am I allowed to film the staff?", "high"],
    ["Do I have the right to a refund?", "high"],
    ["Would I have to pay if the rented tent was stolen?", "high"],
    ["Should I put my savings into a fixed deposit?", "high"],
    ["Which stocks should I buy with my refund?", "high"],
    ["How many of my sleeping tablets can I take?", "high"],
    ["Can I bring my insulin on the plane?", "high"],
    // Everyday wording stays low.
    ["Can I return boots that I have only worn indoors?", "low"],
    ["Is the Alpine tent in stock?", "low"],
    ["Do I need ID to rent a tent?", "low"],
  ])("%s -> %s", (question, tier) => {
    expect(classifyRequest(question, defaultPolicy).tier).toBe(tier);
  });
});
