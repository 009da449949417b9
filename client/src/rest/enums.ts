/**
 * The AMS v2 enumerations, with the values of the .NET SDK (ams-v2-reference.md). One definition,
 * shared by the reference client and the emulator's model: this file imports nothing, so the
 * emulator may depend on it without depending on the rest of the client.
 */

export const AssetCreationOptions = { None: 0, StorageEncrypted: 1, CommonEncryptionProtected: 2, EnvelopeEncryptionProtected: 4 } as const;
export const AssetState = { Initialized: 0, Published: 1, Deleted: 2 } as const;
export const ContentKeyType = {
  CommonEncryption: 0, StorageEncryption: 1, ConfigurationEncryption: 2, UrlEncryption: 3,
  EnvelopeEncryption: 4, CommonEncryptionCbcs: 6, FairPlayASk: 7, FairPlayPfxPassword: 8,
} as const;
export const ProtectionKeyType = { X509CertificateThumbprint: 0 } as const;
export const AccessPermissions = { None: 0, Read: 1, Write: 2, Delete: 4, List: 8 } as const;
export const LocatorType = { None: 0, Sas: 1, OnDemandOrigin: 2 } as const;
export const JobState = { Queued: 0, Scheduled: 1, Processing: 2, Finished: 3, Error: 4, Canceled: 5, Canceling: 6 } as const;
/** Where job notifications go (.NET `NotificationEndPointType`; the service took AzureQueue and WebHook). */
export const NotificationEndPointType = { None: 0, AzureQueue: 1, AzureTable: 2, WebHook: 3 } as const;
export const NotificationEndPointCredentialType = { None: 0, SigningKey: 1 } as const;
/** A subscription's TargetJobState (.NET `NotificationJobState`). */
export const NotificationJobState = { None: 0, FinalStatesOnly: 1, All: 2 } as const;

/** The names the service gives to storage encryption on an AssetFile. */
export const STORAGE_ENCRYPTION_SCHEME = 'StorageEncryption';
export const STORAGE_ENCRYPTION_VERSION = '1.0';

type ValueOf<T> = T[keyof T];
export type AssetCreationOptionsValue = ValueOf<typeof AssetCreationOptions>;
export type ContentKeyTypeValue = ValueOf<typeof ContentKeyType>;
export type LocatorTypeValue = ValueOf<typeof LocatorType>;
export type JobStateValue = ValueOf<typeof JobState>;

/** The name of an enum value (`JobState`, 3 -> 'Finished'), or undefined for a value it lacks. */
export function enumName<T extends Record<string, number>>(enumeration: T, value: unknown): (keyof T & string) | undefined {
  for (const [name, v] of Object.entries(enumeration)) if (v === value) return name as keyof T & string;
  return undefined;
}
