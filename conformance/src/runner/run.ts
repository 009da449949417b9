import { randomInt } from 'node:crypto';
import { packageVersion } from '../../../client/src/cli/version.js';
import { SUITES } from '../suites/index.js';
import type { CaseResult, SuiteContext, SuiteId, SuiteResult, SuiteStatus } from '../suites/types.js';
import type { KitCredentials } from '../target/auth.js';
import { EmulatorExtras, type ExtrasCapabilities } from '../target/extras.js';
import { detectMode } from '../target/mode.js';
import { Target, type TargetMode } from '../target/target.js';
import { CaseRecorder } from './recorder.js';

export const DEFAULT_RUNS = 20;

export interface RunOptions {
  /** The API root, e.g. `http://127.0.0.1:10010/api/`. */
  endpoint: string;
  credentials: KitCredentials;
  /** fast-check seed; random (and reported) when omitted. */
  seed?: number;
  /** Upper bound on the inputs of every property. */
  runs?: number;
  /** Only these suites (default: all). */
  suites?: readonly SuiteId[];
  /** The storage account AzureQueue notification endpoints write to (the notifications suite reads it). */
  queueConnectionString?: string;
  /** Told as the run goes, for live output. */
  onEvent?: (event: RunEvent) => void;
}

export type RunEvent =
  | { kind: 'target'; target: TargetInfo; seed: number; runs: number }
  | { kind: 'suite-start'; suite: { id: SuiteId; title: string; summary: string } }
  | { kind: 'case'; suite: SuiteId; result: CaseResult }
  | { kind: 'suite-end'; result: SuiteResult };

export interface TargetInfo {
  endpoint: string;
  /** What the endpoint calls itself (the emulator's health answer), when it says. */
  server: string | undefined;
  mode: TargetMode;
  modeSource: string;
  extras: ExtrasCapabilities;
  storageDecryption: boolean;
}

export interface RunReport {
  tool: { name: 'ams-conformance'; version: string };
  seed: number;
  runs: number;
  startedAt: string;
  durationMs: number;
  target: TargetInfo;
  suites: SuiteResult[];
  summary: { suites: number; cases: number; passed: number; failed: number; notApplicable: number };
  /** No case failed ("not applicable" is not a failure). */
  ok: boolean;
}

/** Run the chosen suites against an endpoint the kit did not start. */
export async function runConformance(options: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const seed = options.seed ?? randomInt(0, 2 ** 31 - 1);
  const runs = options.runs ?? DEFAULT_RUNS;
  if (!Number.isSafeInteger(runs) || runs < 1) throw new RangeError(`runs must be a positive integer, got ${runs}`);
  const emit = options.onEvent ?? (() => undefined);

  const extras = await EmulatorExtras.detect(options.endpoint);
  const target = new Target(options.endpoint, options.credentials, extras);
  await target.protectionCertificate();
  const detected = await detectMode(target);
  const storageDecryptionProcessorId = await findStorageDecryption(target);
  const capabilities: ExtrasCapabilities = extras?.capabilities ?? { findings: false, rules: false, verification: false };
  const info: TargetInfo = {
    endpoint: target.endpoint,
    server: extras?.health?.emulator,
    mode: detected.mode,
    modeSource: detected.source,
    extras: capabilities,
    storageDecryption: storageDecryptionProcessorId !== undefined,
  };
  emit({ kind: 'target', target: info, seed, runs });

  const context: SuiteContext = { target, mode: detected.mode, capabilities, storageDecryptionProcessorId, seed, runs, ...(options.queueConnectionString ? { queueConnectionString: options.queueConnectionString } : {}) };
  const chosen = options.suites ? SUITES.filter((s) => options.suites!.includes(s.id)) : SUITES;
  const results: SuiteResult[] = [];
  for (const suite of chosen) {
    emit({ kind: 'suite-start', suite: { id: suite.id, title: suite.title, summary: suite.summary } });
    const suiteStarted = Date.now();
    const cases = new CaseRecorder(seed, runs, (result) => emit({ kind: 'case', suite: suite.id, result }));
    try {
      await suite.run(context, cases);
    } catch (err) {
      // A suite that cannot go on (the endpoint went away, an answer the kit cannot read) fails as a whole.
      await cases.check('suite-aborted', `${suite.title} could not finish`, () => {
        throw err;
      });
    }
    const result: SuiteResult = { id: suite.id, title: suite.title, summary: suite.summary, status: suiteStatus(cases.results), cases: cases.results, durationMs: Date.now() - suiteStarted };
    results.push(result);
    emit({ kind: 'suite-end', result });
  }

  const all = results.flatMap((s) => s.cases);
  const summary = {
    suites: results.length,
    cases: all.length,
    passed: all.filter((c) => c.status === 'passed').length,
    failed: all.filter((c) => c.status === 'failed').length,
    notApplicable: all.filter((c) => c.status === 'not-applicable').length,
  };
  return {
    tool: { name: 'ams-conformance', version: packageVersion() },
    seed,
    runs,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    target: info,
    suites: results,
    summary,
    ok: summary.failed === 0,
  };
}

function suiteStatus(cases: readonly CaseResult[]): SuiteStatus {
  if (cases.some((c) => c.status === 'failed')) return 'failed';
  if (cases.length > 0 && cases.every((c) => c.status === 'not-applicable')) return 'not-applicable';
  return 'passed';
}

/** The Storage Decryption processor, if the endpoint lists one (jobs are optional for an AMS v2 server). */
async function findStorageDecryption(target: Target): Promise<string | undefined> {
  try {
    const processors = await target.client().listMediaProcessors();
    return processors.find((p) => p.Name === 'Storage Decryption')?.Id;
  } catch {
    return undefined;
  }
}
