import { defineConfig } from 'vitest/config';

/**
 * Four tiers, all run by `npm test` (and CI):
 * - unit: pure logic, no server, no Azurite, no child process; `npm run test:unit` is the inner
 *   loop (well under 2 minutes on 2 cores);
 * - soak: long randomised and adversarial runs (fuzz, crash, scale, model-based, interleavings);
 * - browser: the dashboard driven in Debian's Chromium (playwright-core); it fails, never skips,
 *   when Chromium is missing (`.ci/run` installs it);
 * - integration: everything else (real Azurite, real HTTP, processes).
 * A file belongs to the first tier whose patterns match it. `emulator/test/` mirrors
 * `emulator/src/` (one folder per source folder), plus three folders for whole-emulator runs:
 * `clients/` (real clients' wire sequences), `fuzz/` and `reliability/`.
 */
const UNIT = [
  'client/test/crypto-*.test.ts',
  'client/test/cli-crypto.test.ts',
  'conformance/test/units.test.ts',
  'emulator/test/odata/atom-{hostile,metadata,reader,roundtrip,writer}.test.ts',
  'emulator/test/odata/edm-snapshot.test.ts',
  'emulator/test/http/batch-parse.test.ts',
  'emulator/test/jobs/{body,plan}.test.ts',
  'emulator/test/jobs/encoders/presets.test.ts',
  'emulator/test/odata/dates.test.ts',
  'emulator/test/origin/range.test.ts',
  'emulator/test/odata/query-*.test.ts',
  'emulator/test/resources/router.test.ts',
  'emulator/test/control/table.test.ts',
  'emulator/test/model/job.test.ts',
  'emulator/test/model/asset-delivery-policy.test.ts',
  'emulator/test/domain/token-restriction.test.ts',
  'emulator/test/domain/key-delivery-rules.test.ts',
  'emulator/test/model/schema-*.test.ts',
  'emulator/test/store/state.test.ts',
  'emulator/test/verify/{content-probe,hypotheses,scheduler}.test.ts',
  'vectors/test/**/*.test.ts',
  'test/**/*.test.ts',
];

const SOAK = [
  'emulator/test/fuzz/**/*.test.ts',
  'emulator/test/reliability/**/*.test.ts',
  'emulator/test/store/crash.test.ts',
  'emulator/test/model/crud-model-based.test.ts',
  'emulator/test/verify/memory.test.ts',
];

const BROWSER = ['emulator/test/ui/browser.test.ts'];

const ALL = ['client/test/**/*.test.ts', 'emulator/test/**/*.test.ts', 'conformance/test/**/*.test.ts', 'vectors/test/**/*.test.ts', 'test/**/*.test.ts'];

export default defineConfig({
  test: {
    // Real Azurite, real HTTP: give each test room, and keep a 2-core CI machine from oversubscribing.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      { extends: true, test: { name: 'soak', include: SOAK } },
      { extends: true, test: { name: 'browser', include: BROWSER } },
      { extends: true, test: { name: 'integration', include: ALL, exclude: [...UNIT, ...SOAK, ...BROWSER] } },
    ],
  },
});
