import { z } from "zod";
import { documentStatuses } from "../repositories/documents.js";

/** Request and response shapes of the curation queue (GET/POST /documents/…). */

const timestamp = z.iso.datetime({ offset: true });

export const documentVersionResponse = z.object({
  document_id: z.uuid(),
  document_key: z.string(),
  version: z.number().int(),
  title: z.string(),
  source: z.string().nullable(),
  domain: z.string().nullable(),
  status: z.enum(documentStatuses),
  replaces: z.uuid().nullable(),
  submitted_by: z.string().nullable(),
  decided_by: z.string().nullable(),
  decided_at: timestamp.nullable(),
  reasons: z.array(z.string()),
  comment: z.string().nullable(),
  created_at: timestamp,
  chunks: z.number().int(),
});

export const pendingDocumentsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});

export const pendingDocumentsResponse = z.object({
  items: z.array(documentVersionResponse),
  next_cursor: z.string().nullable(),
});

const diffOp = z.object({ op: z.enum(["equal", "delete", "insert"]), text: z.string() });

export const curationResponse = z.object({
  document: documentVersionResponse,
  text: z.string(),
  replaces: documentVersionResponse.extend({ text: z.string() }).nullable(),
  diff: z.array(diffOp).describe("Word diff from the replaced version's text to this one"),
  affected: z
    .object({
      days: z.number().int(),
      total: z.number().int(),
      items: z.array(
        z.object({ thread_id: z.uuid(), question: z.string(), completed_at: timestamp }),
      ),
    })
    .describe("Answers given from the replaced version in the last `days` days"),
  events: z.array(
    z.object({
      event_id: z.string(),
      type: z.string(),
      actor: z.string(),
      at: timestamp,
      before: z.unknown(),
      after: z.unknown(),
    }),
  ),
});

export const approveDocumentBody = z
  .object({ comment: z.string().trim().min(1).max(5000).optional() })
  .strict();

export const rejectDocumentBody = z
  .object({
    reasons: z.array(z.string().trim().min(1).max(500)).min(1).max(20),
    comment: z.string().trim().min(1).max(5000).optional(),
  })
  .strict();

export const editDocumentBody = z
  .object({
    text: z.string().trim().min(1).max(500_000),
    comment: z.string().trim().min(1).max(5000).optional(),
  })
  .strict();

export const documentDecisionResponse = z.object({
  document: documentVersionResponse,
  superseded: z.uuid().nullable(),
});
