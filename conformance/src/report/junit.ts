import type { CaseResult } from '../suites/types.js';
import type { RunReport } from '../runner/run.js';

/**
 * JUnit XML for CI: one <testsuite> per suite (named by its guarantee), one <testcase> per case.
 * A failed property carries its counterexample and seed in the <failure>; a case that does not
 * apply to the endpoint is <skipped>, which CI shows without failing the build.
 */
export function junitXml(report: RunReport): string {
  const { summary } = report;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="ams-conformance" tests="${summary.cases}" failures="${summary.failed}" errors="0" skipped="${summary.notApplicable}" time="${seconds(report.durationMs)}" timestamp="${report.startedAt}">`,
  );
  for (const suite of report.suites) {
    const failed = suite.cases.filter((c) => c.status === 'failed').length;
    const skipped = suite.cases.filter((c) => c.status === 'not-applicable').length;
    out.push(
      `  <testsuite name="${attr(suite.title)}" id="${attr(suite.id)}" tests="${suite.cases.length}" failures="${failed}" errors="0" skipped="${skipped}" time="${seconds(suite.durationMs)}" timestamp="${report.startedAt}">`,
    );
    out.push('    <properties>');
    for (const [name, value] of [
      ['endpoint', report.target.endpoint],
      ['mode', report.target.mode],
      ['seed', String(report.seed)],
      ['runs', String(report.runs)],
      ['summary', suite.summary],
    ] as const) {
      out.push(`      <property name="${name}" value="${attr(value)}"/>`);
    }
    out.push('    </properties>');
    for (const c of suite.cases) out.push(...testcase(suite.id, c, report.seed));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

function testcase(suiteId: string, c: CaseResult, seed: number): string[] {
  const open = `    <testcase classname="ams-conformance.${attr(suiteId)}" name="${attr(`${c.id}: ${c.title}`)}" time="${seconds(c.durationMs)}"`;
  const detail = c.kind === 'property' && c.runs !== undefined ? `${c.runs} inputs, seed ${c.seed ?? seed}${c.note ? `; ${c.note}` : ''}` : undefined;
  if (c.status === 'passed') {
    return detail ? [`${open}>`, `      <system-out>${text(detail)}</system-out>`, '    </testcase>'] : [`${open}/>`];
  }
  if (c.status === 'not-applicable') {
    return [`${open}>`, `      <skipped message="${attr(`not applicable: ${c.reason ?? ''}`)}"/>`, '    </testcase>'];
  }
  const body = [
    c.error ? `what went wrong: ${c.error}` : undefined,
    c.counterexample !== undefined ? `counterexample: ${c.counterexample}` : undefined,
    c.seed !== undefined ? `seed: ${c.seed}${c.path ? `, path: ${c.path}` : ''}${c.shrinks !== undefined ? `, shrunk ${c.shrinks} times` : ''}` : undefined,
    `reproduce: ams-conformance run --seed ${c.seed ?? seed} --suite ${suiteId} (with your --endpoint and credentials)`,
  ].filter((line): line is string => line !== undefined);
  return [
    `${open}>`,
    `      <failure message="${attr(c.error ?? 'failed')}" type="${c.kind === 'property' ? 'PropertyFailure' : 'CheckFailure'}">${text(body.join('\n'))}</failure>`,
    '    </testcase>',
  ];
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** Characters XML 1.0 cannot carry at all (control characters, lone surrogates), replaced. */
function xmlSafe(value: string): string {
  return value.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');
}

function text(value: string): string {
  return xmlSafe(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
