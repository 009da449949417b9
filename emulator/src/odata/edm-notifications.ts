/**
 * NotificationEndPoints (ams-v2-surface.md §3.1): where the emulator sends job notifications.
 * EndPointType and EndPointAddress are fixed at create (the service's "immutable"); Name may change.
 *
 * Built from a table (`edm-table.ts`), which imports no value of `edm.ts`: edm.ts lists this type
 * in ENTITY_TYPES, and an import back would be a cycle.
 */
import type { EntityTypeDef } from './edm-types.js';
import { entityType } from './edm-table.js';

export const NotificationEndPoint: EntityTypeDef = entityType({ name: 'NotificationEndPoint', set: 'NotificationEndPoints', idTag: 'nepid' }, `
  Id                           String    server
  Name                         String    required max=4000
  Created                      DateTime  server
  EndPointType                 Int32     required create
  EndPointAddress              String    required create max=4000
  CredentialType               Int32     create
  EncryptedEndPointCredential  String?   create max=4000
  ProtectionKeyId              String?   create max=4000
  ProtectionKeyType            Int32     create
`);
