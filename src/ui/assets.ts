/**
 * The reviewer page's static files: the browser scripts (src/ui/browser/*.ts) and the stylesheet
 * (src/ui/styles/), bundled by esbuild in memory once per process, on first use (about 50 ms,
 * most of it starting esbuild), and served from /ui/assets/ under content-hashed names, so they
 * can be cached for good and the CSP can be `script-src 'self'`.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export interface Asset {
  body: string;
  contentType: string;
}

export interface UiAssets {
  /** The URL of each entry point, e.g. `review` → `/ui/assets/review-3F2A9C1B.js`. */
  urls: Record<Entry, string>;
  /** Each file by its name under /ui/assets/. */
  files: Map<string, Asset>;
}

export const ASSETS_PATH = "/ui/assets";

const here = path.dirname(fileURLToPath(import.meta.url));
const ENTRIES = {
  queue: path.join(here, "browser/queue.ts"),
  review: path.join(here, "browser/review.ts"),
  demo: path.join(here, "browser/demo.ts"),
  /** Also served as /widget.js, under a name that does not change (src/api/routes/widget.ts). */
  widget: path.join(here, "browser/widget.ts"),
  signoff: path.join(here, "styles/signoff.css"),
} as const;
export type Entry = keyof typeof ENTRIES;

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

async function bundle(): Promise<UiAssets> {
  const result = await build({
    entryPoints: ENTRIES,
    bundle: true,
    write: false,
    // Only names: nothing is written there.
    outdir: "/ui-assets",
    format: "iife",
    platform: "browser",
    target: ["es2020"],
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  });
  const urls = {} as Record<Entry, string>;
  const files = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    const ext = path.extname(file.path);
    const entry = path.basename(file.path, ext) as Entry;
    // A hash of the content in the name: a changed file is a new URL, so caching is safe.
    const hash = createHash("sha256").update(file.contents).digest("hex").slice(0, 12);
    const name = `${entry}-${hash}${ext}`;
    files.set(name, { body: file.text, contentType: CONTENT_TYPES[ext] ?? "text/plain" });
    urls[entry] = `${ASSETS_PATH}/${name}`;
  }
  return { urls, files };
}

let built: Promise<UiAssets> | undefined;

/** The bundled files, built on the first call; a failed build is tried again on the next. */
export function uiAssets(): Promise<UiAssets> {
  built ??= bundle().catch((error: unknown) => {
    built = undefined;
    throw error;
  });
  return built;
}
