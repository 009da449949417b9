import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { AZURITE_MODULE_PATHS, TELEMETRY_STAND_IN, loadAzurite } from '../../src/storage/azurite-modules.js';
import { DEV_ACCOUNT_KEY, DEV_ACCOUNT_NAME } from '../../src/storage/connection-string.js';

/**
 * Smoke test for the deep imports: Azurite has no public programmatic API, so an upgrade may move
 * or reshape these files. If this fails, fix emulator/src/storage/azurite-modules.ts and
 * types/azurite.d.ts before anything else.
 */
describe('Azurite deep imports', () => {
  it('load from the pinned azurite 3.35.0', () => {
    const azurite = loadAzurite();
    expect(azurite.version).toBe('3.35.0');
    expect(azurite.blobApiVersion).toBe('2025-11-05');
    expect(Object.values(AZURITE_MODULE_PATHS).every((path) => path.startsWith('azurite/dist/src/'))).toBe(true);
  });

  it("give Azurite's telemetry module a stand-in that cannot send, instead of applicationinsights", () => {
    loadAzurite();
    const telemetry = createRequire(import.meta.url)(AZURITE_MODULE_PATHS.telemetry) as { AzuriteTelemetryClient: { appInsights: unknown; initialized: boolean } };
    expect(telemetry.AzuriteTelemetryClient.appInsights).toBe(TELEMETRY_STAND_IN);
    expect(telemetry.AzuriteTelemetryClient.initialized).toBe(false);
    expect(() => TELEMETRY_STAND_IN.setup()).toThrow(/sends no telemetry/);
  });

  it('expose the well-known development account the emulator hard-codes', () => {
    const azurite = loadAzurite();
    expect(azurite.accountName).toBe(DEV_ACCOUNT_NAME);
    expect(azurite.accountKey).toBe(DEV_ACCOUNT_KEY);
  });

  it('keep BlobConfiguration positional arguments where the emulator passes them', () => {
    const { BlobConfiguration, MemoryExtentChunkStore } = loadAzurite();
    const store = new MemoryExtentChunkStore(1234);
    const access = process.stderr;
    const config = new BlobConfiguration(
      '127.0.0.2',
      4321,
      7,
      '/x/meta.json',
      '/x/extent.json',
      [{ locationId: 'L', locationPath: '/x/blobs', maxConcurrency: 3 }],
      true,
      access,
      true,
      '/x/debug.log',
      true,
      true,
      '',
      '',
      '',
      undefined,
      true,
      true,
      store,
    );
    expect(config).toMatchObject({
      host: '127.0.0.2',
      port: 4321,
      keepAliveTimeout: 7,
      metadataDBPath: '/x/meta.json',
      extentDBPath: '/x/extent.json',
      persistencePathArray: [{ locationId: 'L', locationPath: '/x/blobs', maxConcurrency: 3 }],
      enableAccessLog: true,
      enableDebugLog: true,
      debugLogFilePath: '/x/debug.log',
      loose: true,
      skipApiVersionCheck: true,
      disableProductStyleUrl: true,
      isMemoryPersistence: true,
    });
    expect(config.memoryStore).toBe(store);
    expect(store.sizeLimit()).toBe(1234);
  });

  it('keep the BlobServer internals the embedded server relies on', () => {
    const { BlobServer, BlobConfiguration, MemoryExtentChunkStore } = loadAzurite();
    const server = new BlobServer(
      new BlobConfiguration('127.0.0.1', 0, 5, '/nonexistent/m.json', '/nonexistent/e.json', [], false, undefined, false, undefined, false, true, '', '', '', undefined, false, true, new MemoryExtentChunkStore(1)),
    );
    expect(server.getStatus()).toBe('Closed');
    expect(typeof server.httpServer.closeAllConnections).toBe('function');
    expect(typeof server.afterClose).toBe('function');
    expect(typeof server.clean).toBe('function');
  });
});
