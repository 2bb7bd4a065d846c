/**
 * The queue page: j/k move the selection, Enter/o open it, filters apply on change, x ticks the
 * selected item for a batch decision.
 */
import { all, byId, showLocalTimes, startShortcuts } from "./common.js";

const keys = startShortcuts();
showLocalTimes();

const rows = all<HTMLTableRowElement>("tr.row");
let index = rows.length ? 0 : -1;

function select(i: number): void {
  if (!rows.length) return;
  index = Math.max(0, Math.min(rows.length - 1, i));
  rows.forEach((row, k) => {
    row.classList.toggle("selected", k === index);
    if (k === index) row.setAttribute("aria-current", "true");
    else row.removeAttribute("aria-current");
  });
  rows[index]?.scrollIntoView({ block: "nearest" });
}

function open(): void {
  const href = rows[index]?.dataset.href;
  if (href) location.assign(href);
}

select(0);
rows.forEach((row, k) => {
  row.addEventListener("click", (e) => {
    // A link, or the tick box's cell (ticking an item must not open it).
    if (e.target instanceof Element && e.target.closest("a, td.pick")) return;
    select(k);
    open();
  });
});
keys.j = () => select(index + 1);
keys.k = () => select(index - 1);
keys.o = open;
keys.x = () => {
  const box = rows[index]?.querySelector<HTMLInputElement>("td.pick input[type=checkbox]");
  if (box) box.checked = !box.checked;
};
keys.Enter = (e) => {
  if (e.target !== document.body) return false;
  open();
};

const filters = byId<HTMLFormElement>("filters");
if (filters) {
  all<HTMLSelectElement>("select", filters).forEach((s) => {
    s.addEventListener("change", () => filters.submit());
  });
}
