/**
 * `<signoff-feedback thread-id="…" token="…" [api-base="…"] [scale="thumbs|five"]>`: end-user
 * feedback on one answer, for any web page. Served as /widget.js, with no dependencies. It posts
 * `{rating, comment?}` to `POST {api-base}/threads/{thread-id}/feedback` with the thread's
 * feedback token (never an API key, never cookies). Everything it shows is built with
 * createElement and textContent, so neither the server's messages nor the page's attributes can
 * become markup; its styles live in a shadow root, apart from the host page's.
 */

const STYLES = `
:host { display: block; font: inherit; color: inherit; }
fieldset { border: 1px solid #c9ced6; border-radius: 8px; padding: 0.75rem 1rem; margin: 0; }
legend { padding: 0 0.25rem; font-weight: 600; }
.choices { display: flex; gap: 0.5rem; flex-wrap: wrap; margin: 0.25rem 0 0.75rem; }
button { font: inherit; cursor: pointer; border: 1px solid #8a929e; background: #fff;
  color: #1d2330; border-radius: 6px; padding: 0.35rem 0.8rem; min-width: 2.5rem; }
button[aria-pressed="true"] { background: #1d4ed8; border-color: #1d4ed8; color: #fff; }
button:focus-visible, textarea:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
button[disabled] { opacity: 0.55; cursor: not-allowed; }
label { display: block; margin-bottom: 0.25rem; }
textarea { box-sizing: border-box; width: 100%; font: inherit; padding: 0.4rem;
  border: 1px solid #8a929e; border-radius: 6px; }
.send { margin-top: 0.5rem; background: #1d4ed8; border-color: #1d4ed8; color: #fff; }
.status { margin: 0.5rem 0 0; }
.error { color: #b91c1c; }
.thanks { margin: 0; font-weight: 600; }
`;

type Scale = "thumbs" | "five";

interface Choice {
  rating: number;
  text: string;
  label: string;
}

const CHOICES: Record<Scale, Choice[]> = {
  thumbs: [
    { rating: 5, text: "👍", label: "Yes, this answer helped" },
    { rating: 1, text: "👎", label: "No, this answer did not help" },
  ],
  five: [1, 2, 3, 4, 5].map((n) => ({
    rating: n,
    text: String(n),
    label: `${n} of 5${n === 1 ? " (very poor)" : n === 5 ? " (very good)" : ""}`,
  })),
};

const COMMENT_MAX = 2000;

/** Where the widget's own script came from: the default api-base, so one script tag suffices. */
const SCRIPT_ORIGIN = (() => {
  const script = document.currentScript;
  try {
    return script instanceof HTMLScriptElement && script.src ? new URL(script.src).origin : "";
  } catch {
    return "";
  }
})();

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value !== undefined) node.setAttribute(name, value);
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

function adoptStyles(root: ShadowRoot): void {
  // A constructed sheet is not inline style, so a host page's strict CSP does not block it.
  if ("adoptedStyleSheets" in root && typeof CSSStyleSheet.prototype.replaceSync === "function") {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(element("style", {}, STYLES));
  }
}

class SignoffFeedback extends HTMLElement {
  static readonly observedAttributes = ["thread-id", "token", "api-base", "scale"];
  private readonly root: ShadowRoot;
  private rating: number | undefined;
  private sending = false;
  private sent = false;
  /** Kept across a re-render (after a failed send), so nothing typed is lost. */
  private comment = "";

  constructor() {
    super();
    this.root = this.attachShadow({ mode: "open" });
    adoptStyles(this.root);
  }

  connectedCallback(): void {
    this.render();
  }

  attributeChangedCallback(): void {
    if (this.isConnected && !this.sent) this.render();
  }

  private get scale(): Scale {
    return this.getAttribute("scale") === "five" ? "five" : "thumbs";
  }

  private endpoint(): string | undefined {
    const threadId = this.getAttribute("thread-id") ?? "";
    if (!/^[0-9a-f-]{36}$/i.test(threadId)) return undefined;
    const base = (this.getAttribute("api-base") ?? SCRIPT_ORIGIN).replace(/\/+$/, "");
    return `${base}/threads/${threadId}/feedback`;
  }

  private render(message?: { text: string; error: boolean }): void {
    for (const node of Array.from(this.root.childNodes)) {
      if (!(node instanceof HTMLStyleElement)) node.remove();
    }
    if (this.sent) {
      this.root.append(
        element("p", { class: "thanks", role: "status" }, "Thank you for your feedback."),
      );
      return;
    }
    const form = element("form", { novalidate: "" });
    const fieldset = element("fieldset");
    fieldset.append(element("legend", {}, "Was this answer helpful?"));
    const choices = element("div", { class: "choices", role: "group", "aria-label": "Rating" });
    for (const choice of CHOICES[this.scale]) {
      const button = element(
        "button",
        {
          type: "button",
          "aria-label": choice.label,
          title: choice.label,
          "aria-pressed": String(this.rating === choice.rating),
          "data-rating": String(choice.rating),
        },
        choice.text,
      );
      button.addEventListener("click", () => {
        this.rating = choice.rating;
        for (const b of Array.from(choices.querySelectorAll("button"))) {
          b.setAttribute("aria-pressed", String(b === button));
        }
        send.disabled = this.sending;
      });
      choices.append(button);
    }
    const commentId = "signoff-feedback-comment";
    const comment = element("textarea", {
      id: commentId,
      rows: "3",
      maxlength: String(COMMENT_MAX),
    });
    comment.value = this.comment;
    comment.addEventListener("input", () => (this.comment = comment.value));
    const send = element("button", { type: "submit", class: "send" }, "Send feedback");
    send.disabled = this.rating === undefined || this.sending;
    const status = element("p", {
      class: message?.error ? "status error" : "status",
      role: message?.error ? "alert" : "status",
    });
    if (message) status.textContent = message.text;
    fieldset.append(
      choices,
      element("label", { for: commentId }, "Anything to add? (optional)"),
      comment,
      send,
      status,
    );
    form.append(fieldset);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submit(comment.value, send, status);
    });
    this.root.append(form);
  }

  private async submit(comment: string, send: HTMLButtonElement, status: HTMLElement) {
    const url = this.endpoint();
    const token = this.getAttribute("token") ?? "";
    if (this.rating === undefined || this.sending) return;
    if (!url || !token) {
      this.render({ text: "This feedback form is not set up (no thread or token).", error: true });
      return;
    }
    this.sending = true;
    send.disabled = true;
    status.className = "status";
    status.setAttribute("role", "status");
    status.textContent = "Sending…";
    const text = comment.trim().slice(0, COMMENT_MAX);
    let failure: string | undefined;
    try {
      const res = await fetch(url, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "content-type": "application/json", "signoff-feedback-token": token },
        body: JSON.stringify({ rating: this.rating, ...(text ? { comment: text } : {}) }),
      });
      if (res.ok) {
        const body = (await res.json().catch(() => ({}))) as { feedback_id?: string };
        this.sent = true;
        this.dispatchEvent(
          new CustomEvent("signoff-feedback-sent", {
            bubbles: true,
            composed: true,
            detail: { feedback_id: body.feedback_id, rating: this.rating },
          }),
        );
      } else {
        const body = (await res.json().catch(() => null)) as {
          error?: { message?: string };
        } | null;
        failure = body?.error?.message ?? `the server answered ${res.status}`;
      }
    } catch {
      failure = "the feedback service could not be reached";
    }
    this.sending = false;
    this.render(
      failure ? { text: `Your feedback was not sent: ${failure}.`, error: true } : undefined,
    );
  }
}

if (!customElements.get("signoff-feedback")) {
  customElements.define("signoff-feedback", SignoffFeedback);
}
