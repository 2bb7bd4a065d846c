import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Calibration, OperatingPoint } from "./calibration.js";
import type { EvalSummary } from "./metrics.js";
import { renderHtml } from "./report-html.js";
import type { LiveSection } from "./report-live.js";
import type { CaseFailure } from "./runner.js";
import type { CaseRecord } from "./runner-record.js";

/**
 * The eval report: summary.json (the metrics, the calibration, the failures), cases.jsonl and
 * report.html (./report-html.ts); `npm run evals` prints ./report-text.ts.
 */

/** summary.json: the metrics, the calibration over the same cases, and the questions that failed. */
export interface EvalReport extends EvalSummary {
  calibration: Omit<Calibration, "frontier"> & { frontier: Omit<OperatingPoint, "leaked_ids">[] };
  failures: CaseFailure[];
  /** The live rate from the service's database (`--live`); null when not read. */
  live: LiveSection | null;
}

export function buildReport(
  summary: EvalSummary,
  calibration: Calibration,
  failures: CaseFailure[],
  live: LiveSection | null = null,
): EvalReport {
  return {
    ...summary,
    calibration: {
      ...calibration,
      frontier: calibration.frontier.map(({ leaked_ids: _ids, ...p }) => p),
    },
    failures,
    live,
  };
}

export interface WrittenReport {
  summary: string;
  cases: string;
  html: string;
}

/** Writes summary.json, cases.jsonl (one record per question) and report.html into `dir`. */
export async function writeReport(
  dir: string,
  report: EvalReport,
  records: CaseRecord[],
): Promise<WrittenReport> {
  await mkdir(dir, { recursive: true });
  const files = {
    summary: path.join(dir, "summary.json"),
    cases: path.join(dir, "cases.jsonl"),
    html: path.join(dir, "report.html"),
  };
  await writeFile(files.summary, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(files.cases, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
  await writeFile(files.html, renderHtml(report, records));
  return files;
}
