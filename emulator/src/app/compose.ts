import { AccessPolicy, Asset, AssetFile, ContentKey, Locator, MediaProcessor, StorageAccount } from '../odata/edm.js';
import type { JobRunner } from '../jobs/runner.js';
import { accessPolicyOperations, updateAccessPolicy } from '../resources/access-policies.js';
import { assetOperations } from '../resources/assets.js';
import { contentKeyOperations } from '../resources/content-keys.js';
import { ENCODING_SETS } from '../resources/encoding-sets.js';
import { DELIVERY_AREA } from '../resources/delivery-sets.js';
import { createFileInfos, fileOperations } from '../resources/files.js';
import { ingestRoutes } from '../resources/ingest-sets.js';
import type { IngestPoller } from '../resources/ingest.js';
import { jobRoutes } from '../resources/jobs.js';
import { TEMPLATE_ROUTES } from '../resources/job-templates.js';
import { locatorOperations } from '../resources/locators.js';
import { ENTITY_NAVIGATIONS } from '../resources/navigation.js';
import { NOTIFICATION_SETS } from '../resources/notification-sets.js';
import { getProtectionKey, getProtectionKeyId, rebindContentKey } from '../resources/protection.js';
import { createApiRouter, type ApiRouter, type ApiRoutes, type EntitySetRoute, type FunctionRoute } from '../resources/router.js';
import { mediaProcessors, storageAccounts } from '../resources/static-sets.js';
import { entitySet } from '../resources/entity-set.js';
import { STREAMING_AREA } from '../resources/streaming-sets.js';

/**
 * What the emulator serves under `/api/`, in one place: every entity set with its handlers, every
 * function, every navigation. A new entity set is a line here (and its model/ and resources/
 * files); nothing registers itself at import time, so each emulator gets exactly this list.
 */
export const ENTITY_SETS: readonly EntitySetRoute[] = [
  entitySet(Asset, assetOperations),
  entitySet(AssetFile, fileOperations),
  entitySet(ContentKey, contentKeyOperations),
  entitySet(AccessPolicy, accessPolicyOperations, { update: updateAccessPolicy }),
  entitySet(Locator, locatorOperations),
  entitySet(MediaProcessor, {}, { records: mediaProcessors }),
  entitySet(StorageAccount, {}, { records: storageAccounts }),
  ...ENCODING_SETS,
  ...NOTIFICATION_SETS,
];

export const API_FUNCTIONS: readonly FunctionRoute[] = [
  { name: 'GetProtectionKeyId', handler: getProtectionKeyId },
  { name: 'GetProtectionKey', handler: getProtectionKey },
  { name: 'RebindContentKey', handler: rebindContentKey },
  { name: 'CreateFileInfos', handler: createFileInfos },
];

/** The parts of one running emulator that serve routes of their own. */
export interface ApiParts {
  jobs: JobRunner;
  /** The bulk-ingest upload watcher (`ingest/`), which reads of the ingest sets ask to scan first. */
  ingest: IngestPoller;
}

/**
 * The routes of one emulator: the entity sets above, the areas (content protection and delivery,
 * `DELIVERY_AREA`, with its `$links`; streaming, `STREAMING_AREA`), each with its entity-bound
 * actions, and the subsystems' (jobs, ingest) for its parts.
 */
export function apiRoutes(parts: ApiParts): ApiRoutes {
  const areas = [DELIVERY_AREA, STREAMING_AREA];
  const subsystems = [jobRoutes(parts.jobs), ingestRoutes(parts.ingest), TEMPLATE_ROUTES];
  return {
    sets: [...ENTITY_SETS, ...areas.flatMap((a) => a.sets), ...subsystems.flatMap((r) => r.sets)],
    functions: [...API_FUNCTIONS, ...areas.flatMap((a) => a.functions), ...subsystems.flatMap((r) => r.functions)],
    navigations: [...ENTITY_NAVIGATIONS, ...areas.flatMap((a) => a.navigations), ...subsystems.flatMap((r) => r.navigations)],
    actions: [...areas.flatMap((a) => a.actions), ...subsystems.flatMap((r) => r.actions ?? [])],
    links: [...areas.flatMap((a) => a.links), ...subsystems.flatMap((r) => r.links ?? [])],
  };
}

export function composeApiRouter(parts: ApiParts): ApiRouter {
  return createApiRouter(apiRoutes(parts));
}
