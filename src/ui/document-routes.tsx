import type { Context, Hono } from "hono";
import { z } from "zod";
import type { ApiEnv } from "../api/app.js";
import { decodeDocumentCursor, encodeDocumentCursor } from "../knowledge/curation-views.js";
import {
  approveDocument,
  curationQueue,
  curationView,
  curatorFor,
  editDocument,
  rejectDocument,
} from "../knowledge/curation.js";
import { findDocument } from "../repositories/documents.js";
import { DocumentBody, DocumentQueueBody } from "./documents.js";
import { errorPage, sendPage } from "./respond.js";

const PAGE_SIZE = 25;
const curatorOf = (c: Context<ApiEnv>) => curatorFor(c.var.principal);
const uuid = z.uuid();
const note = z
  .string()
  .trim()
  .max(5000)
  .optional()
  .transform((s) => s || undefined);
const approveForm = z.object({ comment: note });
const rejectForm = z.object({
  reasons: z
    .string()
    .max(5000)
    .transform((s) =>
      s
        .split(/\r?\n/)
        .map((r) => r.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().max(500)).min(1, "give at least one reason").max(20)),
});
const editForm = z.object({ text: z.string().trim().min(1).max(500_000), comment: note });

/** A decision's confirmation above the queue (`?done=<id>`). */
async function flashOf(c: Context<ApiEnv>) {
  const done = c.req.query("done");
  if (!done || !uuid.safeParse(done).success) return null;
  const doc = await findDocument(c.var.db, done.toLowerCase());
  if (!doc) return null;
  return (
    <div class="flash" role="status" id="flash">
      Version {doc.version} of “{doc.title}” is now {doc.status}.
    </div>
  );
}

/** Reads a posted form against a schema; a bad form is a 422 page, not a stack trace. */
async function formOf<S extends z.ZodType>(c: Context<ApiEnv>, schema: S) {
  const body = await c.req.parseBody();
  return schema.safeParse(body);
}

/**
 * The curation pages under /ui/documents: plain HTML forms posting to this origin (the cookie
 * and Origin checks of `authenticate` refuse another site's), answered with a redirect.
 */
export function addDocumentPages(app: Hono<ApiEnv>): void {
  app.get("/documents", async (c) => {
    const raw = c.req.query("cursor");
    const after = raw ? decodeDocumentCursor(raw) : undefined;
    if (raw && !after)
      return errorPage(c, 400, "This page link does not work", "The link is damaged.");
    const deps = c.var.services.curation;
    const page = await curationQueue(deps, curatorOf(c), {
      limit: PAGE_SIZE,
      ...(after ? { after } : {}),
    });
    const body = (
      <DocumentQueueBody
        items={page.items}
        now={new Date()}
        nextUrl={page.next ? `/ui/documents?cursor=${encodeDocumentCursor(page.next)}` : null}
        flash={await flashOf(c)}
      />
    );
    return sendPage(c, 200, "Documents", body);
  });

  app.get("/documents/:documentId", async (c) => {
    const id = c.req.param("documentId");
    if (!uuid.safeParse(id).success) {
      return errorPage(c, 404, "Not found", "This link does not point to a document.");
    }
    const view = await curationView(c.var.services.curation, id.toLowerCase());
    return sendPage(c, 200, `Document: ${view.document.title}`, <DocumentBody view={view} />);
  });

  const decide =
    <S extends z.ZodType>(
      schema: S,
      act: (
        c: Context<ApiEnv>,
        id: string,
        input: z.infer<S>,
      ) => Promise<{ document: { document_id: string } }>,
    ) =>
    async (c: Context<ApiEnv>) => {
      const id = c.req.param("documentId") ?? "";
      if (!uuid.safeParse(id).success) {
        return errorPage(c, 404, "Not found", "This link does not point to a document.");
      }
      const form = await formOf(c, schema);
      if (!form.success) {
        return errorPage(
          c,
          422,
          "That did not work",
          form.error.issues.map((i) => i.message).join("; "),
        );
      }
      const done = await act(c, id.toLowerCase(), form.data);
      return c.redirect(`/ui/documents?done=${done.document.document_id}`, 303);
    };

  app.post(
    "/documents/:documentId/approve",
    decide(approveForm, (c, id, input) =>
      approveDocument(c.var.services.curation, id, curatorOf(c), input),
    ),
  );
  app.post(
    "/documents/:documentId/reject",
    decide(rejectForm, (c, id, input) =>
      rejectDocument(c.var.services.curation, id, curatorOf(c), input),
    ),
  );
  app.post(
    "/documents/:documentId/edit",
    decide(editForm, (c, id, input) =>
      editDocument(c.var.services.curation, id, curatorOf(c), input),
    ),
  );
}
