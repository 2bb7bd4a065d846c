import { AXIS, esc, FONT, GRID, num, svg, ticks, yGrid } from "./report-svg.js";

/** The eval report's charts: score histograms, the route confusion, the trade-off, latency. */

export interface HistogramGroup {
  label: string;
  color: string;
  values: number[];
}

/**
 * Counts per bin of width 1/bins on [0, 1] (1.0 falls in the last bin), one bar per group side
 * by side, with an optional dashed threshold line.
 */
export function histogram(opts: {
  groups: HistogramGroup[];
  xLabel: string;
  threshold?: number;
  thresholdLabel?: string;
  bins?: number;
}): string {
  const bins = opts.bins ?? 10;
  const W = 520;
  const H = 260;
  const m = { left: 44, right: 12, top: 28, bottom: 44 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const counts = opts.groups.map((g) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of g.values) c[Math.min(bins - 1, Math.max(0, Math.floor(v * bins)))]!++;
    return c;
  });
  const yTicks = ticks(Math.max(1, ...counts.flat()));
  const yMax = yTicks.at(-1)!;
  const x = (v: number) => m.left + v * pw;
  const y = (v: number) => m.top + ph - (v / yMax) * ph;
  const parts = yGrid(yTicks, { left: m.left, right: W - m.right, y }, num);
  const binW = pw / bins;
  const barW = (binW - 4) / Math.max(1, opts.groups.length);
  counts.forEach((c, gi) => {
    c.forEach((count, bi) => {
      if (count === 0) return;
      const bx = m.left + bi * binW + 2 + gi * barW;
      const group = opts.groups[gi]!;
      parts.push(
        `<rect x="${bx.toFixed(1)}" y="${y(count).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(0) - y(count)).toFixed(1)}" fill="${group.color}"><title>${esc(group.label)}: ${count} in [${(bi / bins).toFixed(1)}, ${((bi + 1) / bins).toFixed(1)}${bi === bins - 1 ? "]" : ")"}</title></rect>`,
      );
    });
  });
  for (let i = 0; i <= bins; i += 2) {
    const v = i / bins;
    parts.push(
      `<text x="${x(v)}" y="${m.top + ph + 16}" text-anchor="middle" ${FONT}>${v.toFixed(1)}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.left}" x2="${W - m.right}" y1="${y(0)}" y2="${y(0)}" stroke="${AXIS}"/>`,
  );
  parts.push(
    `<text x="${m.left + pw / 2}" y="${H - 6}" text-anchor="middle" ${FONT}>${esc(opts.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(12 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" ${FONT}>cases</text>`,
  );
  if (opts.threshold !== undefined) {
    const tx = x(opts.threshold);
    parts.push(
      `<line x1="${tx}" x2="${tx}" y1="${m.top - 4}" y2="${y(0)}" stroke="#222" stroke-dasharray="4 3"/>`,
    );
    parts.push(
      `<text x="${tx + 4}" y="${m.top + 6}" ${FONT}>${esc(opts.thresholdLabel ?? "threshold")} ${opts.threshold.toFixed(2)}</text>`,
    );
  }
  let lx = m.left;
  for (const g of opts.groups) {
    parts.push(`<rect x="${lx}" y="8" width="10" height="10" fill="${g.color}"/>`);
    const text = `${g.label} (${g.values.length})`;
    parts.push(`<text x="${lx + 14}" y="17" ${FONT}>${esc(text)}</text>`);
    lx += 24 + text.length * 6;
  }
  return svg(W, H, parts);
}

/** A heat-map table of counts: rows are what the human expected, columns what the graph did. */
export function confusionMatrix(opts: {
  rows: string[];
  columns: string[];
  counts: number[][];
}): string {
  const cell = 120;
  const m = { left: 120, top: 56, right: 10, bottom: 10 };
  const W = m.left + cell * opts.columns.length + m.right;
  const ch = 46;
  const H = m.top + ch * opts.rows.length + m.bottom;
  const max = Math.max(1, ...opts.counts.flat());
  const parts: string[] = [];
  parts.push(
    `<text x="${m.left + (cell * opts.columns.length) / 2}" y="14" text-anchor="middle" ${FONT} font-weight="bold">graph's route</text>`,
  );
  opts.columns.forEach((c, ci) => {
    parts.push(
      `<text x="${m.left + ci * cell + cell / 2}" y="${m.top - 10}" text-anchor="middle" ${FONT}>${esc(c)}</text>`,
    );
  });
  parts.push(`<text x="8" y="${m.top - 10}" ${FONT} font-weight="bold">expected ↓</text>`);
  opts.rows.forEach((r, ri) => {
    const cy = m.top + ri * ch;
    parts.push(
      `<text x="${m.left - 8}" y="${cy + ch / 2 + 4}" text-anchor="end" ${FONT}>${esc(r)}</text>`,
    );
    opts.columns.forEach((c, ci) => {
      const count = opts.counts[ri]?.[ci] ?? 0;
      const diagonal = r === c;
      const alpha = count === 0 ? 0 : 0.15 + 0.75 * (count / max);
      const hue = diagonal ? "34,139,84" : "200,60,50";
      parts.push(
        `<rect x="${m.left + ci * cell}" y="${cy}" width="${cell}" height="${ch}" fill="rgba(${hue},${alpha.toFixed(2)})" stroke="#ccc"><title>expected ${esc(r)}, routed ${esc(c)}: ${count}</title></rect>`,
      );
      parts.push(
        `<text x="${m.left + ci * cell + cell / 2}" y="${cy + ch / 2 + 5}" text-anchor="middle" font-family="system-ui, sans-serif" font-size="14">${count}</text>`,
      );
    });
  });
  return svg(W, H, parts);
}

export interface CurvePoint {
  x: number;
  y: number;
  label: string;
}

/**
 * The calibration trade-off: review share (x) against leak share (y) along the frontier, as a
 * step line, with the target as a dashed line and the marked points labelled.
 */
export function tradeoffCurve(opts: {
  frontier: CurvePoint[];
  marks: (CurvePoint & { color: string })[];
  target: number;
}): string {
  const W = 520;
  const H = 300;
  const m = { left: 52, right: 16, top: 16, bottom: 44 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const yTop = Math.max(
    0.1,
    opts.target * 1.5,
    ...opts.frontier.map((p) => p.y),
    ...opts.marks.map((p) => p.y),
  );
  const yTicks = ticks(yTop, 5);
  const yMax = yTicks.at(-1)!;
  const x = (v: number) => m.left + v * pw;
  const y = (v: number) => m.top + ph - (v / yMax) * ph;
  const parts = yGrid(
    yTicks,
    { left: m.left, right: W - m.right, y },
    (t) => `${(t * 100).toFixed(0)}%`,
  );
  for (let i = 0; i <= 10; i += 2) {
    const v = i / 10;
    parts.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${m.top}" y2="${y(0)}" stroke="${GRID}"/>`);
    parts.push(
      `<text x="${x(v)}" y="${m.top + ph + 16}" text-anchor="middle" ${FONT}>${(v * 100).toFixed(0)}%</text>`,
    );
  }
  parts.push(
    `<line x1="${m.left}" x2="${W - m.right}" y1="${y(0)}" y2="${y(0)}" stroke="${AXIS}"/>`,
  );
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${y(0)}" stroke="${AXIS}"/>`);
  parts.push(
    `<line x1="${m.left}" x2="${W - m.right}" y1="${y(opts.target)}" y2="${y(opts.target)}" stroke="#c0392b" stroke-dasharray="5 4"/>`,
  );
  parts.push(
    `<text x="${W - m.right - 4}" y="${y(opts.target) - 5}" text-anchor="end" ${FONT} fill="#c0392b">leak target ${(opts.target * 100).toFixed(1)}%</text>`,
  );
  const sorted = [...opts.frontier].sort((a, b) => a.x - b.x);
  if (sorted.length > 0) {
    let d = `M${x(sorted[0]!.x).toFixed(1)},${y(sorted[0]!.y).toFixed(1)}`;
    for (const p of sorted.slice(1)) d += ` H${x(p.x).toFixed(1)} V${y(p.y).toFixed(1)}`;
    parts.push(`<path d="${d}" fill="none" stroke="#2c6fbb" stroke-width="2"/>`);
    for (const p of sorted) {
      parts.push(
        `<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3" fill="#2c6fbb"><title>${esc(p.label)}</title></circle>`,
      );
    }
  }
  opts.marks.forEach((p, i) => {
    const cx = x(p.x);
    const cy = y(p.y);
    parts.push(
      `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="6" fill="none" stroke="${p.color}" stroke-width="2.5"><title>${esc(p.label)}</title></circle>`,
    );
    const anchor = cx > W / 2 ? "end" : "start";
    const dx = anchor === "end" ? -10 : 10;
    parts.push(
      `<text x="${(cx + dx).toFixed(1)}" y="${(cy - 8 - i * 13).toFixed(1)}" text-anchor="${anchor}" ${FONT} fill="${p.color}" font-weight="bold">${esc(p.label)}</text>`,
    );
  });
  parts.push(
    `<text x="${m.left + pw / 2}" y="${H - 6}" text-anchor="middle" ${FONT}>review share (cases sent to a reviewer)</text>`,
  );
  parts.push(
    `<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" ${FONT}>leak share (wrong, unreviewed)</text>`,
  );
  return svg(W, H, parts);
}

/** Horizontal bars: p50 and p95 per row, in milliseconds. */
export function latencyBars(
  rows: { label: string; p50: number; p95: number; count: number }[],
): string {
  const rowH = 30;
  const m = { left: 180, right: 60, top: 24, bottom: 30 };
  const W = 600;
  const H = m.top + rows.length * rowH + m.bottom;
  const pw = W - m.left - m.right;
  const xTicks = ticks(Math.max(1, ...rows.map((r) => r.p95)), 4);
  const xMax = xTicks.at(-1)!;
  const x = (v: number) => m.left + (v / xMax) * pw;
  const parts: string[] = [];
  for (const t of xTicks) {
    parts.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="${m.top}" y2="${H - m.bottom}" stroke="${GRID}"/>`,
    );
    parts.push(
      `<text x="${x(t)}" y="${H - m.bottom + 14}" text-anchor="middle" ${FONT}>${num(t)}</text>`,
    );
  }
  parts.push(
    `<text x="${m.left + pw / 2}" y="${H - 4}" text-anchor="middle" ${FONT}>milliseconds</text>`,
  );
  parts.push(
    `<rect x="${m.left}" y="6" width="10" height="10" fill="#7fa7d9"/><text x="${m.left + 14}" y="15" ${FONT}>p50</text>`,
  );
  parts.push(
    `<rect x="${m.left + 50}" y="6" width="10" height="10" fill="#1f4e8c"/><text x="${m.left + 64}" y="15" ${FONT}>p95</text>`,
  );
  rows.forEach((r, i) => {
    const top = m.top + i * rowH + 4;
    parts.push(
      `<text x="${m.left - 8}" y="${top + 15}" text-anchor="end" ${FONT}>${esc(r.label)} (n=${r.count})</text>`,
    );
    parts.push(
      `<rect x="${m.left}" y="${top}" width="${(x(r.p95) - m.left).toFixed(1)}" height="10" fill="#1f4e8c"/>`,
    );
    parts.push(
      `<rect x="${m.left}" y="${top + 11}" width="${(x(r.p50) - m.left).toFixed(1)}" height="10" fill="#7fa7d9"/>`,
    );
    parts.push(
      `<text x="${(x(r.p95) + 4).toFixed(1)}" y="${top + 9}" ${FONT}>${r.p95.toFixed(1)}</text>`,
    );
    parts.push(
      `<text x="${(x(r.p50) + 4).toFixed(1)}" y="${top + 20}" ${FONT}>${r.p50.toFixed(1)}</text>`,
    );
  });
  return svg(W, H, parts);
}
