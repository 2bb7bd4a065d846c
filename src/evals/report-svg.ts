/**
 * The SVG primitives of the eval report's charts (./report-charts.ts): plain strings, no
 * dependencies, no scripts, so the HTML file stands alone and renders the same offline.
 */

export function esc(value: unknown): string {
  return String(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export const FONT = `font-family="system-ui, sans-serif" font-size="11"`;
export const AXIS = "#555";
export const GRID = "#e4e4e4";

export function num(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** Nice tick values from 0 to at least `max`. */
export function ticks(max: number, count = 5): number[] {
  if (max <= 0) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 0.999; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

/** Horizontal grid lines at `values`, each labelled on the left axis of the plot. */
export function yGrid(
  values: number[],
  plot: { left: number; right: number; y: (v: number) => number },
  label: (v: number) => string,
): string[] {
  return values.flatMap((t) => [
    `<line x1="${plot.left}" x2="${plot.right}" y1="${plot.y(t)}" y2="${plot.y(t)}" stroke="${GRID}"/>`,
    `<text x="${plot.left - 6}" y="${plot.y(t) + 4}" text-anchor="end" ${FONT}>${label(t)}</text>`,
  ]);
}

export function svg(w: number, h: number, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img">${parts.join("")}</svg>`;
}
