import type { ExtrasCapabilities } from '../target/extras.js';
import type { Target, TargetMode } from '../target/target.js';
import type { CaseRecorder } from '../runner/recorder.js';

export type CaseStatus = 'passed' | 'failed' | 'not-applicable';

/** One thing a suite checked: a property over many generated inputs, or a single check. */
export interface CaseResult {
  /** Stable within its suite, e.g. `rebind-clear`. */
  id: string;
  /** What was checked, in plain words. */
  title: string;
  kind: 'property' | 'check';
  status: CaseStatus;
  /** Inputs tried (properties). */
  runs?: number;
  /** The fast-check seed (properties); `--seed` with this value repeats the run. */
  seed?: number;
  /** The shrunk counterexample, printed (failed properties). */
  counterexample?: string;
  /** fast-check's path to the counterexample (failed properties). */
  path?: string;
  shrinks?: number;
  /** Why it failed. */
  error?: string;
  /** Why it does not apply to this endpoint. */
  reason?: string;
  /** Something a reader should know about a pass, e.g. that the time limit cut the inputs short. */
  note?: string;
  durationMs: number;
}

export type SuiteStatus = 'passed' | 'failed' | 'not-applicable';

export interface SuiteResult {
  id: SuiteId;
  title: string;
  summary: string;
  status: SuiteStatus;
  cases: CaseResult[];
  durationMs: number;
}

export const SUITE_IDS = ['rsa-oaep', 'counter', 'iv', 'checksums', 'protocol', 'notifications'] as const;
export type SuiteId = (typeof SUITE_IDS)[number];

/** What a suite knows about the run and the endpoint. */
export interface SuiteContext {
  target: Target;
  mode: TargetMode;
  capabilities: ExtrasCapabilities;
  /** The Storage Decryption media processor's id, when the endpoint lists it. */
  storageDecryptionProcessorId: string | undefined;
  seed: number;
  /** Upper bound on the inputs of every property. */
  runs: number;
  /** The storage account whose queues AzureQueue notification endpoints write to, when the run has it. */
  queueConnectionString?: string;
}

export interface Suite {
  id: SuiteId;
  /** How the report names it: the guarantee in plain words. */
  title: string;
  /** One sentence: what the suite establishes. */
  summary: string;
  run(context: SuiteContext, cases: CaseRecorder): Promise<void>;
}
