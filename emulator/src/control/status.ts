import type { Request, Response } from 'express';
import type { Services } from '../app/services.js';
import { FINDINGS } from '../domain/findings.js';
import { ASSET_DELIVERY_POLICY_LINKS, AUTHORIZATION_OPTION_LINKS, COLLECTIONS } from '../model/collections.js';
import { LISTED_RESERVED_UNIT_ROWS } from '../model/encoding-reserved-unit-type.js';
import { listedEndpointCount } from '../model/streaming-endpoint.js';
import { VERIFICATIONS } from '../verify/verification-store.js';
import type { RequestLog } from '../http/request-log.js';
import { EMULATOR_NAME, EMULATOR_VERSION } from '../version.js';
import { LATEST_API_VERSION } from '../http/api-version.js';
import type { AzuriteChildStatus } from '../storage/azurite-supervisor.js';
import type { VerificationControl } from '../verify/index.js';

export interface StatusOptions {
  services: Services;
  requests: RequestLog;
  /** Clears all state and the asset containers. */
  reset(): Promise<{ containersDeleted: number }>;
  azuriteVersion?: string;
  /** The embedded Azurite child's state, when it runs in a child process. */
  azuriteStatus?: () => AzuriteChildStatus;
  verification: Pick<VerificationControl, 'pendingCount' | 'unsavedResults'>;
}

/**
 * The emulator's own status endpoints: health, reset, the request ring buffer and a state dump.
 * No auth: they are for the test harness on loopback, like LocalStack's `/_localstack/*`
 * (control/table.ts lists them, control/mount.ts guards them).
 */
export function statusHandlers(options: StatusOptions) {
  const { services, requests } = options;
  const requestCounts = () => ({ total: requests.count, rejectedByParser: requests.rejectedByParser });
  return {
    async health(_req: Request, res: Response): Promise<void> {
      const versions = { emulator: `${EMULATOR_NAME}/${EMULATOR_VERSION}`, api: LATEST_API_VERSION, ...(options.azuriteVersion ? { azurite: options.azuriteVersion } : {}) };
      const child = options.azuriteStatus?.();
      // `unsavedResults`: verification results the store refused; each was logged when it happened.
      const sections = { verification: { pending: options.verification.pendingCount(), unsavedResults: options.verification.unsavedResults() }, ...(child ? { embeddedAzurite: child } : {}) };
      const storeFailure = await services.store.writeFailure();
      if (storeFailure !== undefined) {
        res.status(503).json({ status: 'unhealthy', store: 'not writable', location: services.store.location, message: storeFailure, versions, ...sections });
        return;
      }
      if (child?.state === 'restarting') {
        // No ping: the child is known dead, and a ping would only spend the storage client's retries.
        res.status(503).setHeader('Retry-After', '1');
        res.json({ status: 'unhealthy', storage: 'restarting', message: 'the embedded Azurite exited and is being restarted', versions, ...sections });
        return;
      }
      try {
        await services.storage.ping();
        res.status(200).json({ status: 'healthy', storage: 'up', versions, strict: services.config.strict, auth: services.config.auth, requests: requestCounts(), ...sections });
      } catch (err) {
        res.status(503).json({ status: 'unhealthy', storage: 'down', message: (err as Error).message, versions, requests: requestCounts(), ...sections });
      }
    },

    async reset(_req: Request, res: Response): Promise<void> {
      const result = await options.reset();
      res.status(200).json({ reset: true, ...result });
    },

    /** Counts cheap enough to poll at 10,000 assets (the dashboard's overview), unlike /state. */
    summary(_req: Request, res: Response): void {
      const counts: Record<string, number> = {};
      for (const [entitySet, collection] of Object.entries(COLLECTIONS)) counts[entitySet] = services.store.count(collection);
      // As a client listing them would count them: two sets are stored only once first touched.
      counts['StreamingEndpoints'] = listedEndpointCount(services.store);
      counts['ReservedUnits'] = LISTED_RESERVED_UNIT_ROWS;
      res.status(200).json({ counts, location: services.store.location, findings: services.store.count(FINDINGS), verifications: services.store.count(VERIFICATIONS), requests: requestCounts() });
    },

    requests(_req: Request, res: Response): void {
      res.status(200).json({ capacity: requests.capacity, total: requests.count, rejectedByParser: requests.rejectedByParser, requests: requests.list() });
    },

    clearRequests(_req: Request, res: Response): void {
      requests.clear();
      res.status(204).end();
    },

    state(_req: Request, res: Response): void {
      res.status(200).json({ emulator: `${EMULATOR_NAME}/${EMULATOR_VERSION}`, location: services.store.location, state: dumpState(services) });
    },
  };
}

/** Every collection, as stored; the protection private key is not in the store, so it cannot leak here. */
function dumpState(services: Services): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  const delivery = [COLLECTIONS.AssetDeliveryPolicies, ASSET_DELIVERY_POLICY_LINKS, COLLECTIONS.ContentKeyAuthorizationPolicies, COLLECTIONS.ContentKeyAuthorizationPolicyOptions, AUTHORIZATION_OPTION_LINKS];
  for (const name of ['assets', 'files', 'contentKeys', 'assetContentKeys', 'accessPolicies', 'locators', 'jobs', 'tasks', ...delivery, 'findings', 'verifications', 'notificationEndPoints', 'notificationDeliveries', 'ingestManifests', 'ingestManifestAssets', 'ingestManifestFiles', COLLECTIONS.StreamingEndpoints, COLLECTIONS.Operations, COLLECTIONS.ReservedUnits]) {
    out[name] = [...services.store.values(name)];
  }
  return out;
}

