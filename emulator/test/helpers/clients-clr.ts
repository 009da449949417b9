/**
 * The properties the .NET SDK's data classes (`src/net/Client/Entities/ODataClasses.cs`: AssetData,
 * AssetFileData, ContentKeyData, AccessPolicyData, LocatorData, JobData, TaskData, ...) declare
 * with non-nullable CLR types (int, long, double, bool, DateTime). WCF Data Services throws while
 * materialising an entry whose value for one of them is null, so the emulator must never write one.
 */
export const DOTNET_NON_NULLABLE: Readonly<Record<string, readonly string[]>> = {
  Asset: ['Created', 'LastModified', 'Options', 'State', 'FormatOption'],
  AssetFile: ['ContentFileSize', 'Created', 'IsEncrypted', 'IsPrimary', 'LastModified', 'Options'],
  ContentKey: ['ContentKeyType', 'Created', 'LastModified', 'ProtectionKeyType'],
  AccessPolicy: ['Created', 'DurationInMinutes', 'LastModified', 'Permissions'],
  Locator: ['ExpirationDateTime', 'Type'],
  Job: ['Created', 'LastModified', 'Priority', 'RunningDuration', 'State'],
  Task: ['Options', 'Priority', 'Progress', 'RunningDuration', 'State'],
  MediaProcessor: [],
  StorageAccount: ['IsDefault'],
  // DynamicEncryption/AssetDeliveryPolicyData.cs, ContentKeyAuthorization/*Data.cs: enums are Int32.
  AssetDeliveryPolicy: ['AssetDeliveryPolicyType', 'AssetDeliveryProtocol'],
  ContentKeyAuthorizationPolicy: [],
  ContentKeyAuthorizationPolicyOption: ['KeyDeliveryType'],
};

/** The model type name of an Atom category term or a verbose `__metadata.type`. */
export function modelTypeName(qualified: string): string {
  return qualified.slice(qualified.lastIndexOf('.') + 1);
}

/** Non-nullable CLR properties of `type` whose value is null or missing in `values`. */
export function nullsInNonNullable(type: string, values: Readonly<Record<string, unknown>>): string[] {
  const required = DOTNET_NON_NULLABLE[type];
  if (!required) throw new Error(`no CLR shape known for ${type}`);
  return required.filter((name) => values[name] === null || values[name] === undefined);
}
