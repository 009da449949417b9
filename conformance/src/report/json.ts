import type { RunReport } from '../runner/run.js';

/** Schema version of the JSON report; bump it when a field changes meaning or goes away. */
export const JSON_REPORT_VERSION = 1;

/** The whole run as JSON, for programs: every case with its status, inputs, seed and counterexample. */
export function jsonReport(report: RunReport): string {
  return `${JSON.stringify({ reportVersion: JSON_REPORT_VERSION, ...report }, null, 2)}\n`;
}
