import type { ExtrasCapabilities } from '../target/extras.js';
import type { Target, TargetMode } from '../target/target.js';
import type { CaseRecorder } from '../runner/recorder.js';
import type { CaseResult } from './case-result.js';

export type { CaseResult, CaseStatus } from './case-result.js';

export type SuiteStatus = 'passed' | 'failed' | 'not-applicable';

export interface SuiteResult {
  id: SuiteId;
  title: string;
  summary: string;
  status: SuiteStatus;
  cases: CaseResult[];
  durationMs: number;
}

export const SUITE_IDS = ['rsa-oaep', 'counter', 'iv', 'checksums', 'protocol'] as const;
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
}

export interface Suite {
  id: SuiteId;
  /** How the report names it: the guarantee in plain words. */
  title: string;
  /** One sentence: what the suite establishes. */
  summary: string;
  run(context: SuiteContext, cases: CaseRecorder): Promise<void>;
}
