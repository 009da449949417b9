import { AccessPermissions, LocatorType, odataString, OperationFailedError, type AmsClient, type AwaitOperationOptions, type Locator, type StreamingEndpoint } from '../rest/index.js';
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
  /** One streaming (progressive download) URL per file of the asset. */
  urls: { name: string; url: string }[];
}

/**
 * Publish an asset for streaming, as v2 code did: make sure the streaming endpoint runs (Start and
 * wait for its operation when it is Stopped), then a read-only access policy and an OnDemandOrigin
 * locator, and return `http(s)://<endpoint HostName>/<locator guid>/<file name>` for each file.
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
  const policy = await client.createAccessPolicy({ Name: `publish ${assetId}`, DurationInMinutes: options.durationMinutes ?? 30 * 24 * 60, Permissions: AccessPermissions.Read }, options);
  // Five minutes back, against clock skew, as the docs advise.
  const locator = await client.createLocator({ AccessPolicyId: policy.Id, AssetId: assetId, Type: LocatorType.OnDemandOrigin, StartTime: new Date(Date.now() - 5 * 60_000) }, options);
  const base = baseUrl(endpoint, locator);
  const files = await client.listAssetFiles(assetId, undefined, options);
  return { endpoint, locator, urls: files.map((file) => ({ name: file.Name, url: base + encodeURIComponent(file.Name) })) };
}

/** The endpoint's HostName with the locator's guid, in the scheme of the locator's Path. */
function baseUrl(endpoint: StreamingEndpoint, locator: Locator): string {
  const path = locator.Path ?? '';
  if (!endpoint.HostName || !locator.ContentAccessComponent) return path;
  const scheme = /^https:/i.test(path) ? 'https' : 'http';
  return `${scheme}://${endpoint.HostName}/${locator.ContentAccessComponent}/`;
}
