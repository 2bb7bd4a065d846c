import { escapeToBuffer } from "hono/utils/html";

/**
 * The page is rendered by hono/jsx, which escapes every text child and attribute value itself.
 * What is left here: the same escaping as a function (tests check pages against it) and JSON that
 * may sit inside a `<script type="application/json">` element.
 */

/** Escapes `& < > " '` exactly as hono/jsx does when it renders text. */
export function escapeHtml(value: string): string {
  const buffer: [string] = [""];
  escapeToBuffer(value, buffer);
  return buffer[0];
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>`, `&` and the JS line separators
 * are escaped so the text can neither close the script element nor start a comment.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
