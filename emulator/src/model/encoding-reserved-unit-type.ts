import type { EmulatorConfig } from '../config.js';
import type { StoreReader, Transaction } from '../store/types.js';
import { COLLECTIONS } from './collections.js';
import type { EntityValues } from './entity.js';
import type { EncodingReservedUnitTypeRecord } from './records.js';
import { invalid, unknown } from './refusal.js';

/**
 * What an EncodingReservedUnitType is: the account's encoding reserved units (ams-v2-surface.md
 * §5), one row keyed by the account's AccountId. The number of units is how many jobs do their
 * work at once (no units: one at a time, at S1 speed, as the service ran them).
 *
 * What must hold: there is exactly one row, and it cannot be created or deleted. It exists from
 * the start with defaults (CurrentReservedUnits = the configured `limits.maxRunningJobs`, so that
 * concurrency is the default); only a client's change is stored. ReservedUnitType is 0, 1 or 2 and
 * CurrentReservedUnits is from 0 to MaxReservableUnits.
 */
export type { EncodingReservedUnitTypeRecord } from './records.js';

/**
 * The emulated account's AccountId: fixed, so a client may hard-code it as it would a real
 * account's (a name-based UUID of the development account, `devmediaaccount1`).
 */
export const ACCOUNT_ID = '83e6aeb1-3c53-5f7d-a18d-de746a23da2a';

/** The service's default quota of reservable units (ams-v2-surface.md §5). */
export const MAX_RESERVABLE_UNITS = 25;

/** ReservedUnitType: 0 S1 (Basic), 1 S2 (Standard), 2 S3 (Premium). */
export const RESERVED_UNIT_TYPES: readonly string[] = ['S1', 'S2', 'S3'];

const ROW_KEY = ACCOUNT_ID;

export function reservedUnits(reader: StoreReader, config: EmulatorConfig): EncodingReservedUnitTypeRecord {
  return (
    reader.get<EncodingReservedUnitTypeRecord>(COLLECTIONS.ReservedUnits, ROW_KEY) ?? {
      AccountId: ACCOUNT_ID,
      ReservedUnitType: 0,
      CurrentReservedUnits: Math.min(MAX_RESERVABLE_UNITS, Math.max(0, config.limits.maxRunningJobs)),
      MaxReservableUnits: MAX_RESERVABLE_UNITS,
    }
  );
}

/** The account's one row: listed from the start, stored only once a client changes it. */
export const LISTED_RESERVED_UNIT_ROWS = 1;

/** The row addressed by `key` (a GUID, any case); unknown: 404. */
export function findReservedUnits(reader: StoreReader, config: EmulatorConfig, key: string): EncodingReservedUnitTypeRecord {
  if (key.toLowerCase() !== ACCOUNT_ID) throw unknown(`No EncodingReservedUnitType with AccountId '${key}' was found: this account's AccountId is ${ACCOUNT_ID}`);
  return reservedUnits(reader, config);
}

/** Where the row `key` names is stored (whether a client changed it yet or not); undefined for another account's key. */
export function reservedUnitsKey(key: string): string | undefined {
  return key.toLowerCase() === ACCOUNT_ID ? ROW_KEY : undefined;
}

/** How many jobs may do their work at once: the reserved units, and one when there are none. */
export function concurrentJobs(reader: StoreReader, config: EmulatorConfig): number {
  return Math.max(1, reservedUnits(reader, config).CurrentReservedUnits);
}

/**
 * A MERGE/PATCH/PUT of the row: ReservedUnitType and CurrentReservedUnits within the quota. The
 * values are the request's, already of their Edm types (AccountId and MaxReservableUnits are the
 * service's: a body's values for them were ignored, as the SDKs send or null them).
 */
export function updateReservedUnits(tx: Transaction, config: EmulatorConfig, key: string, values: EntityValues): EncodingReservedUnitTypeRecord {
  const current = findReservedUnits(tx, config, key);
  const next: EncodingReservedUnitTypeRecord = { ...current };
  const type = values.get('ReservedUnitType');
  if (type !== undefined) {
    if (typeof type !== 'number' || RESERVED_UNIT_TYPES[type] === undefined) {
      throw invalid(`ReservedUnitType ${String(type)} is not a reserved unit type: use 0 (S1), 1 (S2) or 2 (S3)`);
    }
    next.ReservedUnitType = type;
  }
  const units = values.get('CurrentReservedUnits');
  if (units !== undefined) {
    if (typeof units !== 'number' || units < 0) throw invalid(`CurrentReservedUnits ${String(units)} must be a whole number from 0 to MaxReservableUnits (${current.MaxReservableUnits})`);
    if (units > current.MaxReservableUnits) {
      throw invalid(`CurrentReservedUnits ${units} is more than this account may reserve (MaxReservableUnits ${current.MaxReservableUnits})`);
    }
    next.CurrentReservedUnits = units;
  }
  tx.put(COLLECTIONS.ReservedUnits, ROW_KEY, next);
  return next;
}
