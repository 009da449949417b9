/**
 * The account's encoding reserved units (ams-v2-surface.md §5): one row, keyed by the account's
 * AccountId (Edm.Guid, addressed as `EncodingReservedUnitTypes(guid'…')`). Clients change
 * ReservedUnitType and CurrentReservedUnits; AccountId and MaxReservableUnits are the service's.
 * Typed where edm.ts lists it in ENTITY_TYPES (importing the type here would make a cycle).
 */
export const EncodingReservedUnitType = {
  name: 'EncodingReservedUnitType',
  set: 'EncodingReservedUnitTypes',
  key: 'AccountId',
  properties: [
    { name: 'AccountId', type: 'Edm.Guid', nullable: false, serverOwned: true },
    { name: 'ReservedUnitType', type: 'Edm.Int32', nullable: false },
    { name: 'CurrentReservedUnits', type: 'Edm.Int32', nullable: false },
    { name: 'MaxReservableUnits', type: 'Edm.Int32', nullable: false, serverOwned: true },
  ],
  navigation: [],
} as const;
