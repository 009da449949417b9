import type { Services } from '../app/services.js';
import { EncodingReservedUnitType } from '../odata/edm.js';
import { checkKey } from '../odata/uri.js';
import { reservedUnits, updateReservedUnits } from '../model/encoding-reserved-unit-type.js';
import { readBody } from './common.js';
import type { ApiRequest, ApiResult } from './context.js';
import type { EntitySetRoute } from './router.js';
import { entitySet } from './entity-set.js';

/**
 * EncodingReservedUnitTypes: the account's one row (read as a feed, as .NET and PHP read it, or by
 * its key), and MERGE/PATCH/PUT of its units. The row cannot be created or deleted.
 */
async function updateEncodingReservedUnitType(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  checkKey(EncodingReservedUnitType, key);
  const body = readBody(req, services, EncodingReservedUnitType);
  await services.store.transaction((tx) => updateReservedUnits(tx, services.config, key, body.values));
  return { kind: 'noContent' };
}

/** The encoding area's entity sets, for the composition's list (app/compose.ts). */
export const ENCODING_SETS: readonly EntitySetRoute[] = [
  // The key is checked before the body is read: a wrong key is a 400/404 whatever was sent.
  entitySet(EncodingReservedUnitType, {}, { records: (services) => [reservedUnits(services.store, services.config)], update: updateEncodingReservedUnitType }),
];
