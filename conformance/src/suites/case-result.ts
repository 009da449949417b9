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
