/**
 * The three model-facing parts of the graph, each behind a small interface so a provider
 * (offline, bedrock, a test fake) can be swapped by configuration.
 */

/** A passage of the knowledge base as retrieved for a question. */
export interface Passage {
  chunk_id: string;
  document_id: string;
  title: string;
  text: string;
  /** Retrieval score of this passage in [0, 1] (see Retriever). */
  score: number;
  /** The version number of the document (document_id names that version's row). */
  document_version?: number;
}

export interface RetrievalResult {
  passages: Passage[];
  /**
   * Retrieval quality in [0, 1]: the score of the best passage. For the Postgres full-text
   * retriever a passage's score is the IDF-weighted share of the question's search terms it
   * contains, so 1 means every term of the question appears in one passage and 0 means none.
   */
  score: number;
}

export interface Retriever {
  retrieve(query: string, topK: number): Promise<RetrievalResult>;
  /** Loads passages by id, in the given order (for evidence a reviewer curated). */
  getPassages(chunkIds: string[]): Promise<Passage[]>;
}

export interface Citation {
  /** 1-based marker used in the answer text, as in "[1]". */
  marker: number;
  chunk_id: string;
  title: string;
  /** The document version the passage came from: recorded with the final answer. */
  document_id?: string;
  document_version?: number;
}

export interface Draft {
  text: string;
  citations: Citation[];
  /** Which provider wrote it, e.g. "offline-extractive" or "bedrock:<model id>". */
  provider: string;
}

/**
 * The generator's prompt template in force (src/prompts/template.ts): the system prompt a model
 * is sent, and the directives the offline generator honours instead.
 */
export interface GeneratorPrompt {
  system: string;
  /** Most sentences the offline generator quotes. */
  maxSentences: number;
  /** Whether the offline generator puts citation markers after its sentences. */
  citations: boolean;
}

/** The judge's prompt template in force: a model's system prompt, the offline judge's directives. */
export interface JudgePrompt {
  system: string;
  /** Flags the offline judge does not raise. */
  ignoreFlags: JudgeFlag[];
}

export interface GenerateInput {
  question: string;
  evidence: Passage[];
  /** A reviewer's revision instructions for this attempt, if any. */
  instructions?: string;
  /** The previous draft when revising. */
  previousDraft?: string;
  /** The template in force; the built-in one when absent. */
  prompt?: GeneratorPrompt;
}

export interface Generator {
  generate(input: GenerateInput): Promise<Draft>;
}

/** Named problems the judge found; any flag sends the answer to a human. */
export type JudgeFlag =
  | "no_answer"
  | "missing_citations"
  | "unknown_citation"
  | "unsupported_claims"
  | "off_topic"
  | "heading_quoted"
  | "answer_type_missing"
  | "focus_missing"
  | "unknown_subject";

export interface Judgment {
  /** Overall score in [0, 1]; compared with the judge threshold. */
  score: number;
  /** Share of the answer supported by the cited evidence, in [0, 1]. */
  groundedness: number;
  /** Share of the question the answer addresses, in [0, 1]. */
  coverage: number;
  flags: JudgeFlag[];
  /** Per flag, what exactly was found, in plain words for the reviewer (else flagWords says it). */
  explanations?: Partial<Record<JudgeFlag, string>>;
  rationale: string;
  provider: string;
}

export interface JudgeInput {
  question: string;
  evidence: Passage[];
  draft: Draft;
  /** The template in force; the built-in one when absent. */
  prompt?: JudgePrompt;
}

export interface Judge {
  judge(input: JudgeInput): Promise<Judgment>;
}

export interface Providers {
  /** Name shown with every answer, e.g. "offline" or "bedrock". */
  name: string;
  retriever: Retriever;
  generator: Generator;
  judge: Judge;
}
