import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { NewDocument } from "./documents.js";

export const SAMPLE_KB_DIR = fileURLToPath(new URL("../../kb/sample/", import.meta.url));

const DOCUMENT_EXTENSIONS = new Set([".md", ".markdown", ".txt"]);

/** Markdown and text files under `root`, recursively, in a stable order (READMEs skipped). */
export async function listDocumentFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && DOCUMENT_EXTENSIONS.has(path.extname(e.name).toLowerCase()))
    .filter((e) => !/^readme\./i.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/**
 * Reads one file as a document: the first Markdown heading is the title (else the file name),
 * the folder under `root` is the domain.
 */
export async function readDocumentFile(root: string, file: string): Promise<NewDocument> {
  const raw = (await readFile(file, "utf8")).replace(/\r\n/g, "\n");
  const heading = /^#\s+(.+)$/m.exec(raw);
  const title =
    heading?.[1]?.trim() ?? path.basename(file, path.extname(file)).replace(/[-_]/g, " ");
  const text = (heading ? raw.replace(heading[0], "") : raw).trim();
  const relative = path.relative(root, file);
  const domain = relative.includes(path.sep) ? relative.split(path.sep)[0] : undefined;
  return { title, text, source: relative.split(path.sep).join("/"), domain };
}
