import type { Citation, Passage } from "../providers/types.js";

/**
 * The citations of a final answer with the document version each cited passage came from, so
 * an answer can be traced to the text that was live when it was given (documents change; a
 * version's row and chunks are kept). Taken from the evidence in the graph's state: no query.
 */
export function citationsWithVersions(citations: Citation[], evidence: Passage[]): Citation[] {
  const byChunk = new Map(evidence.map((p) => [p.chunk_id, p]));
  return citations.map((citation) => {
    const passage = byChunk.get(citation.chunk_id);
    if (!passage) return citation;
    return {
      ...citation,
      document_id: passage.document_id,
      ...(passage.document_version === undefined
        ? {}
        : { document_version: passage.document_version }),
    };
  });
}
