import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ApiEnv } from "../api/app.js";
import type { Principal } from "../auth/principal.js";
import { uiAssets, type Entry } from "./assets.js";
import { Page } from "./layout.js";

/**
 * Scripts only from this origin's /ui/assets/ (no inline script runs, so card text cannot become
 * code); inline styles stay allowed for the few style attributes (meter widths).
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Sends a page in the layout, with its script (a bundle under /ui/assets/) if it has one. */
export function sendPage(
  c: Context<ApiEnv>,
  status: ContentfulStatusCode,
  title: string,
  body: Child,
  script?: Exclude<Entry, "signoff">,
) {
  c.header("Content-Security-Policy", PAGE_CSP);
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "no-referrer");
  c.header("Cache-Control", "no-store");
  const principal = c.get("principal") as Principal | undefined;
  return c.html(
    <BundledPage title={title} principal={principal} script={script}>
      {body}
    </BundledPage>,
    status,
  );
}

/** The layout with the URLs of the bundled stylesheet and script (built once, then cached). */
async function BundledPage(props: {
  title: string;
  principal: Principal | undefined;
  script?: Exclude<Entry, "signoff">;
  children: Child;
}) {
  const { urls } = await uiAssets();
  return (
    <Page
      title={props.title}
      principal={props.principal}
      stylesheet={urls.signoff}
      script={props.script && urls[props.script]}
    >
      {props.children}
    </Page>
  );
}

/** A page that only says what went wrong, with the way back to the queue. */
export function errorPage(
  c: Context<ApiEnv>,
  status: ContentfulStatusCode,
  title: string,
  message: Child,
) {
  return sendPage(
    c,
    status,
    title,
    <section class="panel login" style="max-width:40rem">
      <h1>{title}</h1>
      <p>{message}</p>
      <p>
        <a href="/ui">Go to the queue</a>
      </p>
    </section>,
  );
}
