import fc from 'fast-check';
import type { CaseResult } from '../suites/case-result.js';

/** A broken rule, said in words: what the endpoint did and what it should have done. */
export class Violation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Violation';
  }
}

/** Fail the current case with `message` unless `condition` holds. */
export function expectThat(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new Violation(typeof message === 'string' ? message : message());
}

export interface PropertyOptions {
  /**
   * Share of `--runs` this property uses (default 1). Properties that upload files or run jobs
   * use less so a run stays inside its time budget; never more than `--runs`.
   */
  share?: number;
  /** Wall-clock limit for the property, shrinking included (default 180 s). */
  timeLimitMs?: number;
}

const DEFAULT_TIME_LIMIT_MS = 180_000;
const MAX_COUNTEREXAMPLE_CHARS = 2000;

/**
 * Runs a suite's cases and keeps their results: properties through fast-check with the run's seed
 * (so `--seed` replays the same inputs and the same shrinking), single checks, and cases that do
 * not apply to this endpoint.
 */
export class CaseRecorder {
  readonly results: CaseResult[] = [];

  constructor(
    private readonly seed: number,
    private readonly runs: number,
    private readonly onCase: (result: CaseResult) => void = () => undefined,
  ) {}

  async property<Ts>(id: string, title: string, property: fc.IRawProperty<Ts>, options: PropertyOptions = {}): Promise<CaseResult> {
    const started = Date.now();
    const numRuns = Math.min(this.runs, Math.max(1, Math.ceil(this.runs * (options.share ?? 1))));
    const details = await fc.check(property, {
      seed: this.seed,
      numRuns,
      interruptAfterTimeLimit: options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS,
      markInterruptAsFailure: false,
    });
    const base = { id, title, kind: 'property' as const, runs: details.numRuns, seed: details.seed, durationMs: Date.now() - started };
    let result: CaseResult;
    if (!details.failed) {
      const limit = options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
      result = details.interrupted ? { ...base, status: 'passed', note: `the ${limit / 1000} s time limit stopped it after ${details.numRuns} of ${numRuns} inputs` } : { ...base, status: 'passed' };
    } else if (details.counterexample !== null) {
      result = {
        ...base,
        status: 'failed',
        counterexample: clip(fc.stringify(details.counterexample)),
        path: details.counterexamplePath ?? undefined,
        shrinks: details.numShrinks,
        error: errorText(details.errorInstance),
      };
    } else {
      result = { ...base, status: 'failed', error: details.interrupted ? 'interrupted before any input was checked' : `gave up: ${details.numSkips} inputs were skipped` };
    }
    return this.keep(result);
  }

  async check(id: string, title: string, body: () => Promise<void> | void): Promise<CaseResult> {
    const started = Date.now();
    try {
      await body();
      return this.keep({ id, title, kind: 'check', status: 'passed', durationMs: Date.now() - started });
    } catch (err) {
      return this.keep({ id, title, kind: 'check', status: 'failed', error: errorText(err), durationMs: Date.now() - started });
    }
  }

  notApplicable(id: string, title: string, reason: string, kind: CaseResult['kind'] = 'property'): CaseResult {
    return this.keep({ id, title, kind, status: 'not-applicable', reason, durationMs: 0 });
  }

  private keep(result: CaseResult): CaseResult {
    this.results.push(result);
    this.onCase(result);
    return result;
  }
}

function errorText(err: unknown): string {
  if (err instanceof Violation) return err.message;
  if (err instanceof Error) return `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}`;
  if (err === null || err === undefined) return 'the property returned false';
  return String(err);
}

function clip(text: string): string {
  return text.length > MAX_COUNTEREXAMPLE_CHARS ? `${text.slice(0, MAX_COUNTEREXAMPLE_CHARS)}... (${text.length} characters)` : text;
}
