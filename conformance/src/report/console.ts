import type { CaseResult } from '../suites/types.js';
import type { RunEvent, RunReport, TargetInfo } from '../runner/run.js';

const MARK: Record<CaseResult['status'], string> = { passed: 'PASS', failed: 'FAIL', 'not-applicable': 'N/A ' };

/** How to run the same suite again with the same inputs (credentials are the user's to add). */
export interface ReproduceHint {
  endpoint: string;
  /** e.g. `--token T` or `--client-id ID --client-secret S`, with the secret left out. */
  credentialsHint: string;
}

/**
 * The report for people, printed as the run goes: the endpoint and what was detected about it,
 * then each suite under the name of its guarantee, each case with PASS, FAIL or N/A; a failed
 * property shows its shrunk counterexample, the seed and the command that repeats it.
 */
export class ConsoleReporter {
  constructor(
    private readonly write: (text: string) => void,
    private readonly seed: number,
    private readonly runs: number,
    private readonly hint: ReproduceHint,
  ) {}

  onEvent(event: RunEvent): void {
    switch (event.kind) {
      case 'target':
        this.out(targetLines(event.target, this.seed, this.runs));
        break;
      case 'suite-start':
        this.out(['', `${event.suite.title}: ${event.suite.summary}`]);
        break;
      case 'case':
        this.out(caseLines(event.result, event.suite, this.seed, this.hint));
        break;
      case 'suite-end':
        break;
    }
  }

  finish(report: RunReport): void {
    const { summary } = report;
    const verdict = report.ok ? 'PASS' : 'FAIL';
    const guarantees = report.suites.map((s) => {
      const failed = s.cases.filter((c) => c.status === 'failed').length;
      const skipped = s.cases.filter((c) => c.status === 'not-applicable').length;
      const parts = [failed > 0 ? `${failed} of ${s.cases.length} failed` : '', skipped > 0 ? `${skipped} of ${s.cases.length} not applicable` : ''].filter((p) => p !== '');
      return `${s.title}: ${s.status === 'not-applicable' ? 'not applicable' : s.status}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
    });
    this.out([
      '',
      `${verdict}: ${summary.passed} passed, ${summary.failed} failed, ${summary.notApplicable} not applicable, in ${summary.suites} suite${summary.suites === 1 ? '' : 's'} (seed ${report.seed}, ${(report.durationMs / 1000).toFixed(1)} s)`,
      ...guarantees.map((g) => `  ${g}`),
    ]);
  }

  private out(lines: readonly string[]): void {
    this.write(`${lines.join('\n')}\n`);
  }
}

function targetLines(target: TargetInfo, seed: number, runs: number): string[] {
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  return [
    `Endpoint:  ${target.endpoint}`,
    `Server:    ${target.server ?? 'unnamed (no /_emulator/health)'}; ${target.mode} mode (${target.modeSource})`,
    `Extras:    findings ${yes(target.extras.findings)}, decrypt verification ${yes(target.extras.verification)}, rules ${yes(target.extras.rules)}; Storage Decryption jobs ${yes(target.storageDecryption)}`,
    `Seed:      ${seed} (repeat this run with --seed ${seed}); at most ${runs} inputs per property`,
  ];
}

function caseLines(result: CaseResult, suite: string, seed: number, hint: ReproduceHint): string[] {
  const time = `${(result.durationMs / 1000).toFixed(1)} s`;
  const inputs = result.kind === 'property' && result.runs !== undefined ? `${result.runs} input${result.runs === 1 ? '' : 's'}, ` : '';
  const head = `  ${MARK[result.status]}  ${result.title}`;
  if (result.status === 'not-applicable') return [`${head}: not applicable, ${result.reason ?? ''}`];
  if (result.status === 'passed') return [`${head} (${inputs}${time})`, ...(result.note ? [`        note: ${result.note}`] : [])];
  const lines = [`${head} (${inputs}${time})`];
  if (result.counterexample !== undefined) {
    lines.push(`        counterexample: ${result.counterexample}`);
    lines.push(`        shrunk ${result.shrinks ?? 0} time${result.shrinks === 1 ? '' : 's'}; seed ${result.seed ?? seed}${result.path ? `, path ${result.path}` : ''}`);
  }
  if (result.error) lines.push(`        what went wrong: ${result.error}`);
  const command = ['ams-conformance run --endpoint', hint.endpoint, hint.credentialsHint, `--seed ${result.seed ?? seed} --suite ${suite}`].filter((part) => part !== '');
  lines.push(`        reproduce: ${command.join(' ')}`);
  return lines;
}
