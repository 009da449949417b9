import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['client/test/**/*.test.ts', 'emulator/test/**/*.test.ts', 'conformance/test/**/*.test.ts', 'vectors/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Real Azurite, real HTTP: give each test room, and keep a 2-core CI machine from oversubscribing.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
