/**
 * Shared by every page's script: shortcut dispatch, the help dialog, local times. Browser code:
 * bundled by src/ui/assets.ts, never imported by the server.
 */

/** A shortcut's handler; returning false means "not handled", so the key does its usual thing. */
export type Shortcut = (event: KeyboardEvent) => boolean | void;
export type Shortcuts = Record<string, Shortcut | undefined>;

/** True while the reader types into a field, where letters are text, not shortcuts. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName.toLowerCase();
  if (tag === "textarea" || tag === "select" || target.isContentEditable) return true;
  if (tag !== "input") return false;
  const type = (target.getAttribute("type") ?? "text").toLowerCase();
  return !["checkbox", "radio", "button", "submit", "reset"].includes(type);
}

/**
 * Listens for the page's shortcuts: plain keys by `event.key`, plus "ctrl+enter" and "escape"
 * (which also work while typing). "?" opens the list of shortcuts.
 */
export function startShortcuts(): Shortcuts {
  const keys: Shortcuts = {};
  const help = document.getElementById("shortcuts") as HTMLDialogElement | null;
  keys["?"] = () => {
    if (help && !help.open) help.showModal();
  };
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented) return;
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      const submit = keys["ctrl+enter"];
      if (submit && submit(e) !== false) e.preventDefault();
      return;
    }
    const escape = keys.escape;
    if (e.key === "Escape" && escape && !help?.open) {
      escape(e);
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
    if (help?.open) return;
    const fn = keys[e.key];
    if (fn && fn(e) !== false) e.preventDefault();
  });
  return keys;
}

/** Times are sent in UTC; the reader sees them in their own time zone. */
export function showLocalTimes(): void {
  document.querySelectorAll<HTMLTimeElement>("time[datetime]").forEach((t) => {
    const d = new Date(t.dateTime);
    if (isNaN(d.getTime())) return;
    t.title = d.toLocaleString();
    if (t.classList.contains("abs"))
      t.textContent = d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  });
}

/** Follows the link with this id, if the page has it. */
export function follow(id: string): void {
  const href = document.getElementById(id)?.getAttribute("href");
  if (href) location.assign(href);
}

export function byId<T extends HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

export function all<T extends Element>(selector: string, root: ParentNode = document): T[] {
  return Array.from(root.querySelectorAll<T>(selector));
}
