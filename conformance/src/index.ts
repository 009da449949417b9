/**
 * The conformance kit: property-based suites that tell whether an AMS v2 endpoint behaves like the
 * service (runnable against any server), and client validation against a fresh emulator. The
 * `ams-conformance` command line is a thin layer over these functions.
 */
export { runConformance, DEFAULT_RUNS, type RunOptions, type RunReport, type RunEvent, type TargetInfo } from './runner/run.js';
export { SUITES, SUITE_IDS, type Suite, type SuiteId, type SuiteResult, type CaseResult, type CaseStatus } from './suites/index.js';
export type { KitCredentials } from './target/auth.js';
export { ConsoleReporter } from './report/console.js';
export { junitXml } from './report/junit.js';
export { jsonReport, JSON_REPORT_VERSION } from './report/json.js';
export { validateClient, type ValidateOptions, type ValidationReport, type ReportedFinding } from './validate-client/index.js';
export { validationText } from './validate-client/report.js';
export { runCli } from './cli.js';
