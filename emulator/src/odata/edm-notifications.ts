/**
 * NotificationEndPoints (ams-v2-surface.md §3.1): where the emulator sends job notifications.
 * EndPointType and EndPointAddress are fixed at create (the service's "immutable"); Name may change.
 *
 * Written `as const` without importing edm.ts's types, because edm.ts lists this type in
 * ENTITY_TYPES (an import back would be a cycle); that listing checks it against EntityTypeDef.
 */
const serverDate = (name: string) => ({ name, type: 'Edm.DateTime', nullable: false, serverOwned: true }) as const;

export const NotificationEndPoint = {
  name: 'NotificationEndPoint',
  set: 'NotificationEndPoints',
  idTag: 'nepid',
  key: 'Id',
  properties: [
    { name: 'Id', type: 'Edm.String', nullable: false, serverOwned: true },
    { name: 'Name', type: 'Edm.String', nullable: false, required: true, maxLength: 4000 },
    serverDate('Created'),
    { name: 'EndPointType', type: 'Edm.Int32', nullable: false, required: true, createOnly: true },
    { name: 'EndPointAddress', type: 'Edm.String', nullable: false, required: true, createOnly: true, maxLength: 4000 },
    { name: 'CredentialType', type: 'Edm.Int32', nullable: false, createOnly: true },
    { name: 'EncryptedEndPointCredential', type: 'Edm.String', nullable: true, createOnly: true, maxLength: 4000 },
    { name: 'ProtectionKeyId', type: 'Edm.String', nullable: true, createOnly: true, maxLength: 4000 },
    { name: 'ProtectionKeyType', type: 'Edm.Int32', nullable: false, createOnly: true },
  ],
  navigation: [],
} as const;
