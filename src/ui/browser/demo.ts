/**
 * The demo page's script: asks through /demo/questions, follows the thread with its view token
 * until the answer is there (a reviewer may take minutes; the page simply keeps waiting), then
 * shows the answer and the feedback widget for the thread. Bundled by src/ui/assets.ts.
 */

interface DemoThread {
  thread_id: string;
  status: "queued" | "running" | "awaiting_review" | "completed" | "failed";
  answer: string | null;
  provenance: string | null;
}

interface Asked extends DemoThread {
  view_token: string;
  feedback_token: string;
}

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const form = byId<HTMLFormElement>("ask");
const question = byId<HTMLTextAreaElement>("question");
const result = byId<HTMLElement>("result");
const waiting = byId<HTMLElement>("waiting");
const failed = byId<HTMLElement>("failed");
const answer = byId<HTMLElement>("answer");
const checked = byId<HTMLElement>("checked");
const feedback = byId<HTMLElement>("feedback");

/** Which question the page shows now: a newer question stops the older one's waiting. */
let current = 0;

function reset(): void {
  result.hidden = false;
  waiting.hidden = true;
  failed.hidden = true;
  checked.hidden = true;
  answer.textContent = "";
  feedback.replaceChildren();
}

function fail(text: string): void {
  waiting.hidden = true;
  failed.textContent = text;
  failed.hidden = false;
}

function show(thread: DemoThread, feedbackToken: string): void {
  waiting.hidden = true;
  answer.textContent = thread.answer ?? "";
  checked.hidden = !["approved", "edited", "human"].includes(thread.provenance ?? "");
  const widget = document.createElement("signoff-feedback");
  widget.setAttribute("thread-id", thread.thread_id);
  widget.setAttribute("token", feedbackToken);
  widget.setAttribute("scale", "five");
  feedback.replaceChildren(widget);
}

async function follow(asked: Asked, mine: number): Promise<void> {
  let thread: DemoThread = asked;
  let failures = 0;
  while (mine === current) {
    if (thread.status === "completed") return show(thread, asked.feedback_token);
    if (thread.status === "failed") return fail("Sorry, this question could not be answered.");
    waiting.hidden = false;
    try {
      const res = await fetch(`/demo/threads/${thread.thread_id}?wait=25`, {
        headers: { "signoff-demo-token": asked.view_token, accept: "application/json" },
      });
      if (!res.ok) throw new Error(String(res.status));
      thread = (await res.json()) as DemoThread;
      failures = 0;
    } catch {
      // The server restarting, or the network gone for a moment: wait a little, then ask again.
      failures += 1;
      if (failures > 20)
        return fail("The answer could not be fetched. Reload the page to try again.");
      await new Promise((done) => setTimeout(done, Math.min(30_000, 1000 * 2 ** failures)));
    }
  }
}

/** A fresh Idempotency-Key per question, so a double submit or a retry asks only once. */
function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = question.value.trim();
  if (!text) return;
  const mine = ++current;
  reset();
  const button = form.querySelector("button")!;
  button.disabled = true;
  void (async () => {
    try {
      const res = await fetch("/demo/questions", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          "idempotency-key": randomKey(),
        },
        body: JSON.stringify({ question: text }),
      });
      const body = (await res.json().catch(() => null)) as
        (Asked & { error?: undefined }) | { error: { message: string } } | null;
      if (!res.ok || !body || body.error) {
        fail(
          `The question was not sent: ${body?.error?.message ?? `the server answered ${res.status}`}.`,
        );
        return;
      }
      button.disabled = false;
      await follow(body, mine);
    } catch {
      fail("The question was not sent: the server could not be reached.");
    } finally {
      button.disabled = false;
    }
  })();
});
