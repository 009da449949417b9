import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends every run with the plain line `N passed, N failed`, so a run that executed no test is as
 * visible as one that failed (`.ci/run` relies on it).
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
      }
      if (module.state() === 'failed' && !hasTests(module)) failed++;
    }
    failed += unhandledErrors.length;
    process.stdout.write(`${passed} passed, ${failed} failed\n`);
  }
}

function hasTests(module: TestModule): boolean {
  for (const _ of module.children.allTests()) return true;
  return false;
}
