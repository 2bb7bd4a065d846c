import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import type { Principal } from "../auth/principal.js";

/** What every page gets from the layout besides its body. */
export interface PageProps {
  title: string;
  principal?: Principal;
  active?: "queue" | "review" | "documents";
  /** The stylesheet's URL under /ui/assets/. */
  stylesheet: string;
  /** The page's script under /ui/assets/ (data for it goes in the body as JSON or data-*). */
  script?: string;
  children?: Child;
}

const SHORTCUTS: [keys: Child, what: string][] = [
  [
    <>
      <kbd>j</kbd> / <kbd>k</kbd>
    </>,
    "Next / previous item in the queue",
  ],
  [
    <>
      <kbd>Enter</kbd> / <kbd>o</kbd>
    </>,
    "Open the selected item (queue)",
  ],
  [<kbd>x</kbd>, "Tick the selected item for Approve / Reject selected (queue)"],
  [<kbd>a</kbd>, "Approve"],
  [<kbd>e</kbd>, "Edit (the answer, or choose the evidence)"],
  [<kbd>r</kbd>, "Respond: answer the question yourself"],
  [<kbd>x</kbd>, "Reject, with reasons (item)"],
  [<kbd>v</kbd>, "Ask for a revision"],
  [<kbd>c</kbd>, "Claim or release the item"],
  [<kbd>q</kbd>, "Back to the queue"],
  [
    <>
      <kbd>Ctrl</kbd> + <kbd>Enter</kbd>
    </>,
    "Submit the open form",
  ],
  [<kbd>Esc</kbd>, "Close the open form or this list"],
  [<kbd>?</kbd>, "Show this list"],
];

function ShortcutsHelp() {
  return (
    <dialog id="shortcuts" aria-labelledby="shortcuts-title">
      <h2
        id="shortcuts-title"
        style="text-transform:none;letter-spacing:0;color:inherit;font-size:1.2rem"
      >
        Keyboard shortcuts
      </h2>
      <table>
        <tbody>
          {SHORTCUTS.map(([keys, what]) => (
            <tr>
              <td>{keys}</td>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="hint">Letter shortcuts do nothing while you are typing in a text box.</p>
      <form method="dialog">
        <button type="submit" class="primary">
          Close
        </button>
      </form>
    </dialog>
  );
}

function Who(props: { principal: Principal | undefined }) {
  const { principal } = props;
  if (!principal) return null;
  if (principal.open) {
    return (
      <span title="No API keys exist yet, so the service is open to anyone on this machine">
        Open mode (no keys configured)
      </span>
    );
  }
  return (
    <>
      <span>
        Signed in as <strong>{principal.name}</strong> ({principal.role})
      </span>
      <form method="post" action="/ui/logout">
        <button type="submit" class="link">
          Sign out
        </button>
      </form>
    </>
  );
}

/** The page around every view: top bar, main, the shortcuts list and the page's script. */
export function Page(props: PageProps) {
  const { principal } = props;
  return (
    <>
      {/* The one piece of raw markup: JSX has no doctype. */}
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          <link rel="icon" href="data:," />
          <title>{props.title} · signoff</title>
          <link rel="stylesheet" href={props.stylesheet} />
        </head>
        <body>
          <a class="skip" href="#main">
            Skip to content
          </a>
          <header class="top">
            <div class="inner">
              <a class="brand" href="/ui">
                signoff <span>reviews</span>
              </a>
              <nav aria-label="Main">
                {principal && (
                  <a href="/ui" aria-current={props.active === "queue" ? "page" : undefined}>
                    Queue
                  </a>
                )}
                {principal && (
                  <a
                    href="/ui/documents"
                    aria-current={props.active === "documents" ? "page" : undefined}
                  >
                    Documents
                  </a>
                )}
              </nav>
              <div class="who">
                {principal && (
                  <span class="help-hint">
                    Press <kbd>?</kbd> for shortcuts
                  </span>
                )}
                <Who principal={principal} />
              </div>
            </div>
          </header>
          <main id="main">{props.children}</main>
          {principal && <ShortcutsHelp />}
          {props.script && <script src={props.script}></script>}
        </body>
      </html>
    </>
  );
}
