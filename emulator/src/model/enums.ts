/**
 * The AMS enumerations the model speaks, from their one definition beside the reference client
 * (`client/src/rest/enums.ts`), plus the emulator-only values the service had and the client does
 * not use.
 */
export {
  AccessPermissions, AssetCreationOptions, AssetState, ContentKeyType, enumName, JobState, LocatorType, ProtectionKeyType,
  NotificationEndPointCredentialType, NotificationEndPointType, NotificationJobState,
  STORAGE_ENCRYPTION_SCHEME, STORAGE_ENCRYPTION_VERSION,
  type AssetCreationOptionsValue, type ContentKeyTypeValue, type JobStateValue, type LocatorTypeValue,
} from '../../../client/src/rest/enums.js';
