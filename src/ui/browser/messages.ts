/** The review page's messages, built from text nodes only (never markup from data). */
import { byId } from "./common.js";

export type MessageKind = "ok" | "warn" | "error" | "";

export type MessageAction =
  { label: string; href: string } | { label: string; onClick: () => void };

/** Shows one message (with buttons or links) in #messages; an empty text clears it. */
export function show(kind: MessageKind, text: string, actions: MessageAction[] = []): void {
  const box = byId("messages");
  if (!box) return;
  box.textContent = "";
  if (!text) return;
  const flash = document.createElement("div");
  flash.className = `flash ${kind}`;
  flash.setAttribute("role", kind === "error" ? "alert" : "status");
  const line = document.createElement("div");
  line.textContent = text;
  flash.appendChild(line);
  if (actions.length) {
    const bar = document.createElement("div");
    bar.className = "actions";
    for (const action of actions) {
      let el: HTMLElement;
      if ("href" in action) {
        const a = document.createElement("a");
        a.className = "button";
        a.href = action.href;
        el = a;
      } else {
        const b = document.createElement("button");
        b.type = "button";
        b.addEventListener("click", action.onClick);
        el = b;
      }
      el.textContent = action.label;
      bar.append(el, " ");
    }
    flash.appendChild(bar);
  }
  box.appendChild(flash);
  flash.scrollIntoView({ block: "nearest" });
}

/** A time of day in the reader's time zone. */
export function when(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d.getTime())
    ? iso
    : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
