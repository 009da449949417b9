import { defineConfig } from 'vitest/config';

/**
 * Three tiers, all run by `npm test` (and CI):
 * - unit: pure logic, no server, no Azurite, no child process; `npm run test:unit` is the inner
 *   loop (well under 2 minutes on 2 cores);
 * - soak: long randomised and adversarial runs (fuzz, crash, scale, model-based, interleavings);
 * - integration: everything else (real Azurite, real HTTP, processes).
 * A file belongs to the first tier whose patterns match it.
 */
const UNIT = [
  'client/test/crypto-*.test.ts',
  'client/test/cli-crypto.test.ts',
  'conformance/test/units.test.ts',
  'emulator/test/atom-{hostile,metadata,reader,roundtrip,writer}.test.ts',
  'emulator/test/batch-parse.test.ts',
  'emulator/test/delivery/token-*.test.ts',
  'emulator/test/model/asset-delivery-policies.test.ts',
  'emulator/test/jobs-{body,plan}.test.ts',
  'emulator/test/odata-dates.test.ts',
  'emulator/test/origin-range.test.ts',
  'emulator/test/query-*.test.ts',
  'emulator/test/store-state.test.ts',
  'emulator/test/verify-{content-probe,hypotheses,scheduler}.test.ts',
  'vectors/test/**/*.test.ts',
  'test/**/*.test.ts',
];

const SOAK = [
  'emulator/test/fuzz-*.test.ts',
  'emulator/test/reliability-*.test.ts',
  'emulator/test/store-crash.test.ts',
  'emulator/test/model-crud.test.ts',
  'emulator/test/verify-memory.test.ts',
];

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
      { extends: true, test: { name: 'integration', include: ALL, exclude: [...UNIT, ...SOAK] } },
    ],
  },
});
