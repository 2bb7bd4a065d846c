import type { Principal } from "../auth/principal.js";
import { html, raw, type SafeHtml } from "./html.js";

const CSS = `
:root {
  --bg: #f5f6f8; --panel: #fff; --ink: #1c2430; --muted: #5c6776; --line: #dde1e7;
  --accent: #2457c5; --accent-ink: #fff; --accent-soft: #e8effc;
  --ok: #1d7a46; --ok-soft: #e4f4ea; --warn: #9a5b00; --warn-soft: #fff3dc;
  --bad: #b3261e; --bad-soft: #fde8e6; --ins: #d7f5df; --del: #fbdcdc;
  --radius: 10px; --shadow: 0 1px 2px rgba(16,24,40,.06), 0 1px 3px rgba(16,24,40,.08);
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { font-size: 16px; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 1rem/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible, summary:focus-visible {
  outline: 3px solid #8fb0f0; outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: .5rem; z-index: 10; background: #fff; padding: .3rem .6rem; }
header.top { background: #17233a; color: #fff; }
header.top .inner { max-width: 1280px; margin: 0 auto; padding: .65rem 1.25rem; display: flex; gap: 1rem; align-items: center; }
header.top .brand { font-weight: 700; letter-spacing: .02em; color: #fff; text-decoration: none; font-size: 1.1rem; }
header.top .brand span { color: #9db8ee; font-weight: 500; }
header.top nav { display: flex; gap: 1rem; flex: 1; }
header.top nav a { color: #d7e2f7; text-decoration: none; } header.top nav a:hover { color: #fff; text-decoration: underline; }
header.top .who { color: #c8d3e6; font-size: .9rem; display: flex; gap: .75rem; align-items: center; }
header.top .who form { margin: 0; }
header.top button.link { background: none; border: 1px solid #4b5d80; color: #e4ebf7; border-radius: 6px; padding: .2rem .6rem; cursor: pointer; font: inherit; font-size: .85rem; }
header.top .help-hint { font-size: .85rem; color: #9fb0cc; }
main { max-width: 1280px; margin: 0 auto; padding: 1.25rem; }
h1 { font-size: 1.45rem; margin: .2rem 0 1rem; line-height: 1.25; }
h2 { font-size: 1.05rem; margin: 0 0 .6rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
h3 { font-size: 1rem; margin: 0 0 .3rem; }
.muted { color: var(--muted); }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); box-shadow: var(--shadow); padding: 1rem 1.15rem; margin-bottom: 1rem; }
.badge { display: inline-block; border-radius: 999px; padding: .05rem .55rem; font-size: .8rem; font-weight: 600; white-space: nowrap; border: 1px solid transparent; }
.risk-high { background: var(--bad-soft); color: var(--bad); border-color: #f3b8b3; }
.risk-medium { background: var(--warn-soft); color: var(--warn); border-color: #f1d29a; }
.risk-low { background: var(--ok-soft); color: var(--ok); border-color: #b5e0c4; }
.risk-blocked, .risk-unknown { background: #eee; color: #333; }
.stage { background: var(--accent-soft); color: var(--accent); border-color: #c5d5f5; }
.escalated { background: #f1e8fd; color: #6a2fb8; border-color: #d8c2f5; }
.audit { background: #e7f6f8; color: #0b6a78; border-color: #b4e1e8; }
.flash { border-radius: var(--radius); padding: .75rem 1rem; margin-bottom: 1rem; border: 1px solid; }
.flash.ok { background: var(--ok-soft); border-color: #b5e0c4; color: #124d2c; }
.flash.error { background: var(--bad-soft); border-color: #f3b8b3; color: #7d1a14; }
.flash.warn { background: var(--warn-soft); border-color: #f1d29a; color: #6b3f00; }
.flash .actions { margin-top: .5rem; }
button, .button { font: inherit; font-weight: 600; border-radius: 8px; border: 1px solid var(--line); background: #fff; color: var(--ink);
  padding: .45rem .9rem; cursor: pointer; text-decoration: none; display: inline-flex; gap: .45rem; align-items: center; }
button:hover, .button:hover { background: #f0f3f8; }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-ink); }
button.primary:hover { background: #1d49a8; }
button.danger { background: var(--bad); border-color: var(--bad); color: #fff; }
button.danger:hover { background: #8f1e18; }
button:disabled { opacity: .5; cursor: not-allowed; }
kbd { font: .78rem ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; border: 1px solid #c4cad3; border-bottom-width: 2px; border-radius: 4px; padding: 0 .3rem; background: #f7f8fa; color: #334; }
button.primary kbd, button.danger kbd { background: rgba(255,255,255,.18); border-color: rgba(255,255,255,.45); color: #fff; }
label { font-weight: 600; }
input[type=text], input[type=password], textarea, select { font: inherit; border: 1px solid #c4cad3; border-radius: 8px; padding: .45rem .6rem; background: #fff; color: var(--ink); }
textarea { width: 100%; min-height: 8rem; resize: vertical; line-height: 1.5; }
.field { margin: .6rem 0; display: flex; flex-direction: column; gap: .25rem; }
.hint { font-size: .88rem; color: var(--muted); font-weight: 400; }
/* queue */
.filters { display: flex; flex-wrap: wrap; gap: .75rem 1rem; align-items: flex-end; }
.filters .field { margin: 0; }
.filters label { font-size: .85rem; color: var(--muted); }
table.queue { width: 100%; border-collapse: collapse; }
table.queue th { white-space: nowrap; text-align: left; font-size: .78rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); font-weight: 600; padding: .5rem .6rem; border-bottom: 2px solid var(--line); }
table.queue td { padding: .7rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
table.queue tr.row { cursor: pointer; }
table.queue tr.row:hover td { background: #f8faff; }
table.queue tr.row.selected td { background: var(--accent-soft); }
table.queue tr.row.selected td:first-child { box-shadow: inset 4px 0 0 var(--accent); }
table.queue .reason { font-weight: 600; display: block; color: var(--ink); text-decoration: none; }
table.queue .reason:hover { text-decoration: underline; }
table.queue .question { color: var(--muted); font-size: .93rem; display: block; margin-top: .15rem; overflow-wrap: anywhere; }
table.queue td.nowrap { white-space: nowrap; }
.overdue { color: var(--bad); font-weight: 700; } .soon { color: var(--warn); font-weight: 600; }
.pager { display: flex; justify-content: space-between; margin-top: 1rem; }
.empty { text-align: center; padding: 2.5rem 1rem; color: var(--muted); }
/* review */
.crumbs { display: flex; justify-content: space-between; align-items: center; margin-bottom: .75rem; font-size: .95rem; }
.crumbs .nav { display: flex; gap: .5rem; }
.why { border-left: 6px solid var(--warn); background: #fffaf0; }
.why.stage-answer.risk-tier-high { border-left-color: var(--bad); background: #fff7f6; }
.why .headline { font-size: .82rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); font-weight: 700; }
.why .reason-main { font-size: 1.3rem; font-weight: 700; line-height: 1.35; margin: .2rem 0 .5rem; }
.why ul { margin: .3rem 0 0; padding-left: 1.2rem; }
.why .tags { display: flex; flex-wrap: wrap; gap: .4rem; margin-top: .6rem; align-items: center; font-size: .9rem; }
.question-text { font-size: 1.2rem; font-weight: 600; white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
.claimbar { display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; border-top: 1px solid var(--line); margin-top: .8rem; padding-top: .7rem; }
.claimbar .status { flex: 1; }
.claimbar .dot { display: inline-block; width: .6rem; height: .6rem; border-radius: 50%; background: #aab3c0; margin-right: .4rem; vertical-align: middle; }
.claimbar.mine .dot { background: var(--ok); } .claimbar.other .dot { background: var(--bad); }
.grid { display: grid; grid-template-columns: minmax(0, 1.25fr) minmax(0, 1fr); gap: 1rem; align-items: start; }
@media (max-width: 960px) { .grid { grid-template-columns: 1fr; } }
.draft { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 1.05rem; line-height: 1.65; margin: 0; }
a.cite { font-weight: 700; text-decoration: none; background: var(--accent-soft); border-radius: 4px; padding: 0 .2rem; }
a.cite:hover { text-decoration: underline; }
.cite.missing { background: var(--bad-soft); color: var(--bad); border-radius: 4px; padding: 0 .2rem; font-weight: 700; }
.judge .meters, .retrieval .meters { display: grid; gap: .35rem; margin: .4rem 0 .6rem; }
.meter { display: grid; grid-template-columns: 8.5rem 1fr 9.5rem; gap: .6rem; align-items: center; font-size: .92rem; }
.meter-bar { position: relative; height: .55rem; background: #e8ebf0; border-radius: 999px; overflow: visible; }
.meter-fill { position: absolute; left: 0; top: 0; bottom: 0; background: var(--ok); border-radius: 999px; }
.meter.below .meter-fill { background: var(--bad); }
.meter-mark { position: absolute; top: -.2rem; bottom: -.2rem; width: 2px; background: #334; }
.meter-value { font-variant-numeric: tabular-nums; }
.flags { margin: .3rem 0; padding-left: 1.2rem; color: var(--bad); }
.rationale { background: #f7f8fa; border-radius: 8px; padding: .6rem .8rem; margin: .4rem 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.passages { display: grid; gap: .75rem; }
.passage { border: 1px solid var(--line); border-radius: 8px; padding: .7rem .85rem; background: #fff; transition: box-shadow .2s, border-color .2s; scroll-margin-top: 1rem; }
.passage header { display: flex; justify-content: space-between; gap: .5rem; align-items: baseline; }
.passage .title { font-weight: 700; }
.passage .pscore { font-variant-numeric: tabular-nums; font-size: .88rem; color: var(--muted); white-space: nowrap; }
.passage .cited-as { font-size: .8rem; font-weight: 700; color: var(--accent); }
.passage .text { overflow-wrap: anywhere; font-size: .93rem; margin: .4rem 0 0; max-height: 16rem; overflow: auto; }
.passage .text p { margin: 0 0 .45rem; white-space: pre-wrap; }
.passage.highlight { border-color: var(--accent); box-shadow: 0 0 0 3px #b9cdf6; }
.passage:has(input.choose-passage:checked) { border-color: #7cc49a; background: #f5fbf7; }
.passage .choose { display: flex; gap: .4rem; align-items: center; margin-top: .5rem; font-weight: 600; font-size: .92rem; }
.actions-bar { display: flex; flex-wrap: wrap; gap: .5rem; }
.action-form { border-top: 1px solid var(--line); margin-top: 1rem; padding-top: .9rem; }
.action-form[hidden] { display: none; }
.action-form .buttons { display: flex; gap: .5rem; align-items: center; margin-top: .6rem; flex-wrap: wrap; }
.reasons-list { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: .3rem .9rem; margin: .4rem 0; border: 0; padding: 0; }
.reasons-list label { font-weight: 400; display: flex; gap: .45rem; align-items: center; }
.diff { border: 1px dashed #c4cad3; border-radius: 8px; padding: .6rem .8rem; background: #fcfcfd; white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.65; }
.diff ins { background: var(--ins); color: #0f5a2a; text-decoration: none; border-radius: 3px; padding: 0 1px; }
.diff del { background: var(--del); color: #8a1c15; text-decoration: line-through; border-radius: 3px; padding: 0 1px; }
.diff del + ins { margin-left: 3px; }
.diff-summary { font-size: .88rem; color: var(--muted); margin: .25rem 0; }
.decided-note { font-weight: 600; }
.decision-details { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: .5rem 0 0; }
.decision-details dt { color: var(--muted); font-weight: 600; }
.decision-details dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
#messages .flash { margin: .2rem 0 .8rem; }
dialog { border: none; border-radius: 12px; padding: 1.25rem 1.5rem; box-shadow: 0 20px 50px rgba(0,0,0,.3); max-width: 32rem; width: 92vw; }
dialog::backdrop { background: rgba(15,23,42,.45); }
dialog table { width: 100%; border-collapse: collapse; }
dialog td { padding: .3rem .25rem; border-bottom: 1px solid var(--line); }
dialog td:first-child { white-space: nowrap; width: 8rem; }
.login { max-width: 28rem; margin: 3rem auto; }
.login input { width: 100%; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

export interface PageOptions {
  title: string;
  nonce: string;
  principal?: Principal;
  body: SafeHtml;
  /** Inline script (constant code, no card text: data goes in a JSON block). */
  script?: string;
  active?: "queue" | "review";
}

const SHORTCUTS_HELP = html`<dialog id="shortcuts" aria-labelledby="shortcuts-title">
  <h2
    id="shortcuts-title"
    style="text-transform:none;letter-spacing:0;color:inherit;font-size:1.2rem"
  >
    Keyboard shortcuts
  </h2>
  <table>
    <tbody>
      <tr>
        <td><kbd>j</kbd> / <kbd>k</kbd></td>
        <td>Next / previous item in the queue</td>
      </tr>
      <tr>
        <td><kbd>Enter</kbd> / <kbd>o</kbd></td>
        <td>Open the selected item (queue)</td>
      </tr>
      <tr>
        <td><kbd>a</kbd></td>
        <td>Approve</td>
      </tr>
      <tr>
        <td><kbd>e</kbd></td>
        <td>Edit (the answer, or choose the evidence)</td>
      </tr>
      <tr>
        <td><kbd>r</kbd></td>
        <td>Respond: answer the question yourself</td>
      </tr>
      <tr>
        <td><kbd>x</kbd></td>
        <td>Reject, with reasons</td>
      </tr>
      <tr>
        <td><kbd>v</kbd></td>
        <td>Ask for a revision</td>
      </tr>
      <tr>
        <td><kbd>c</kbd></td>
        <td>Claim or release the item</td>
      </tr>
      <tr>
        <td><kbd>q</kbd></td>
        <td>Back to the queue</td>
      </tr>
      <tr>
        <td><kbd>Ctrl</kbd> + <kbd>Enter</kbd></td>
        <td>Submit the open form</td>
      </tr>
      <tr>
        <td><kbd>Esc</kbd></td>
        <td>Close the open form or this list</td>
      </tr>
      <tr>
        <td><kbd>?</kbd></td>
        <td>Show this list</td>
      </tr>
    </tbody>
  </table>
  <p class="hint">Letter shortcuts do nothing while you are typing in a text box.</p>
  <form method="dialog"><button type="submit" class="primary">Close</button></form>
</dialog>`;

function who(principal: Principal | undefined): SafeHtml {
  if (!principal) return html``;
  if (principal.open) {
    return html`<span
      title="No API keys exist yet, so the service is open to anyone on this machine"
      >Open mode (no keys configured)</span
    >`;
  }
  return html`<span>Signed in as <strong>${principal.name}</strong> (${principal.role})</span>
    <form method="post" action="/ui/logout">
      <button type="submit" class="link">Sign out</button>
    </form>`;
}

export function page(options: PageOptions): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <link rel="icon" href="data:," />
        <title>${options.title} · signoff</title>
        <style>
          ${raw(CSS)}
        </style>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <div class="inner">
            <a class="brand" href="/ui">signoff <span>reviews</span></a>
            <nav aria-label="Main">
              ${options.principal ? html`<a href="/ui" ${options.active === "queue" ? raw(' aria-current="page"') : ""}>Queue</a>` : ""}
            </nav>
            <div class="who">
              ${options.principal ? html`<span class="help-hint">Press <kbd>?</kbd> for shortcuts</span>` : ""}${who(options.principal)}
            </div>
          </div>
        </header>
        <main id="main">${options.body}</main>
        ${options.principal ? SHORTCUTS_HELP : ""}
        ${
          options.script
            ? html`<script nonce="${options.nonce}">
                ${raw(options.script)};
              </script>`
            : ""
        }
      </body>
    </html>`;
}
