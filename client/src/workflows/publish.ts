import { AccessPermissions, AssetCreationOptions, entityPath, LocatorType, odataString, OperationFailedError, type AmsClient, type AwaitOperationOptions, type Locator, type StreamingEndpoint } from '../rest/index.js';
import { AmsWorkflowError } from './errors.js';

export interface PublishOptions extends AwaitOperationOptions {
  /** The streaming endpoint to serve through (default: the account's "default" one). */
  endpointName?: string;
  /** How long the URLs work. Default 30 days. */
  durationMinutes?: number;
}

export interface PublishResult {
  endpoint: StreamingEndpoint;
  locator: Locator;
  /** The NoDynamicEncryption delivery policy made for a storage-encrypted asset that had none; undefined when none was needed. */
  deliveryPolicyId: string | undefined;
  /** One streaming (progressive download) URL per file of the asset. */
  urls: { name: string; url: string }[];
}

/** AssetDeliveryPolicyType.NoDynamicEncryption: the origin removes storage encryption and streams in the clear. */
const NO_DYNAMIC_ENCRYPTION = 2;
/** AssetDeliveryProtocol SmoothStreaming | Dash | HLS | ProgressiveDownload: every way the published URLs are fetched. */
const CLEAR_PROTOCOLS = 0x1 | 0x2 | 0x4 | 0x10;

/**
 * Publish an asset for streaming, as v2 code did: make sure the streaming endpoint runs (Start and
 * wait for its operation when it is Stopped); for a storage-encrypted asset with no delivery
 * policy, link a NoDynamicEncryption one (the service refused a streaming locator without it);
 * then a read-only access policy and an OnDemandOrigin locator, and return
 * `http(s)://<endpoint HostName>/<locator guid>/<file name>` for each file.
 */
export async function publishAsset(client: AmsClient, assetId: string, options: PublishOptions = {}): Promise<PublishResult> {
  const name = options.endpointName ?? 'default';
  const [found] = await client.listStreamingEndpoints({ $filter: `Name eq ${odataString(name)}` }, options);
  if (!found) throw new AmsWorkflowError('streaming-endpoint', `No StreamingEndpoint is named ${JSON.stringify(name)}`);
  let endpoint = found;
  if (endpoint.State === 'Stopped') {
    const operation = await client.startStreamingEndpoint(endpoint.Id, options);
    try {
      if (operation) await client.awaitOperation(operation, options);
    } catch (err) {
      if (err instanceof OperationFailedError) throw new AmsWorkflowError('streaming-endpoint', `Starting the StreamingEndpoint ${JSON.stringify(name)} failed: ${err.operation.ErrorCode ?? ''} ${err.operation.ErrorMessage ?? ''}`.trim(), { cause: err });
      throw err;
    }
    endpoint = await client.getStreamingEndpoint(endpoint.Id, options);
  }
  if (endpoint.State !== 'Running') throw new AmsWorkflowError('streaming-endpoint', `The StreamingEndpoint ${JSON.stringify(name)} is ${endpoint.State}; publish again when it is Running or Stopped`);
  const deliveryPolicyId = await clearDeliveryIfNeeded(client, assetId, options);
  const policy = await client.createAccessPolicy({ Name: `publish ${assetId}`, DurationInMinutes: options.durationMinutes ?? 30 * 24 * 60, Permissions: AccessPermissions.Read }, options);
  // Five minutes back, against clock skew, as the docs advise.
  const locator = await client.createLocator({ AccessPolicyId: policy.Id, AssetId: assetId, Type: LocatorType.OnDemandOrigin, StartTime: new Date(Date.now() - 5 * 60_000) }, options);
  const base = baseUrl(endpoint, locator);
  const files = await client.listAssetFiles(assetId, undefined, options);
  return { endpoint, locator, deliveryPolicyId, urls: files.map((file) => ({ name: file.Name, url: base + encodeURIComponent(file.Name) })) };
}

/**
 * "A streaming locator cannot be created on a storage encrypted asset when no asset delivery policy
 * is set": link a NoDynamicEncryption policy for the protocols the URLs use, unless the asset is
 * clear or already has a policy (whatever it says is the publisher's choice, kept).
 */
async function clearDeliveryIfNeeded(client: AmsClient, assetId: string, options: PublishOptions): Promise<string | undefined> {
  const asset = await client.getAsset(assetId, options);
  if (asset.Options !== AssetCreationOptions.StorageEncrypted) return undefined;
  const connection = client.connection;
  const call = options.signal ? { signal: options.signal } : {};
  const idOf = (raw: Record<string, unknown>) => String(raw['Id']);
  const existing = await connection.collection({ method: 'GET', path: `${entityPath('Assets', assetId)}/DeliveryPolicies`, ...call }, idOf);
  if (existing.length > 0) return undefined;
  const policyId = await connection.entity(
    { method: 'POST', path: 'AssetDeliveryPolicies', body: { Name: `publish ${assetId}`, AssetDeliveryProtocol: CLEAR_PROTOCOLS, AssetDeliveryPolicyType: NO_DYNAMIC_ENCRYPTION, AssetDeliveryConfiguration: null }, ...call },
    idOf,
  );
  await connection.noContent({ method: 'POST', path: `${entityPath('Assets', assetId)}/$links/DeliveryPolicies`, body: { uri: connection.resolve(entityPath('AssetDeliveryPolicies', policyId)) }, ...call });
  return policyId;
}

/** The endpoint's HostName with the locator's guid, in the scheme of the locator's Path. */
function baseUrl(endpoint: StreamingEndpoint, locator: Locator): string {
  const path = locator.Path ?? '';
  if (!endpoint.HostName || !locator.ContentAccessComponent) return path;
  const scheme = /^https:/i.test(path) ? 'https' : 'http';
  return `${scheme}://${endpoint.HostName}/${locator.ContentAccessComponent}/`;
}
