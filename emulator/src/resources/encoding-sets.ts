import { EncodingReservedUnitType } from '../odata/edm-encoding.js';
import type { EntityTypeDef } from '../odata/edm.js';
import { checkKey } from '../odata/uri.js';
import { reservedUnits, updateReservedUnits } from '../model/reserved-units.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';
import { readBody } from './common.js';
import type { JsonRecord } from '../store/types.js';

/**
 * EncodingReservedUnitTypes: the account's one row (read as a feed, as .NET and PHP read it, or by
 * its key), and MERGE/PATCH/PUT of its units. The row cannot be created or deleted.
 */
const TYPE: EntityTypeDef = EncodingReservedUnitType;

async function update(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  checkKey(TYPE, key);
  const body = readBody(req, services, TYPE);
  await services.store.transaction((tx) => updateReservedUnits(tx, services.config, key, body.values));
  return { kind: 'noContent' };
}

/** What the router takes for a set (its EntitySetHandlers, named here without importing the router). */
interface SetHandlers {
  records(services: Services): JsonRecord[];
  update(req: ApiRequest, services: Services, key: string): Promise<ApiResult>;
}

/** The encoding area's entity sets, for the router's list. */
export const ENCODING_SETS: { sets: readonly (readonly [EntityTypeDef, SetHandlers])[] } = {
  sets: [[TYPE, { records: (services) => [reservedUnits(services.store, services.config)], update }]],
};
