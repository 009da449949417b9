import { publishAsset, type PublishOptions } from '../workflows/index.js';
import type { LeafCommand } from './command.js';
import { CONNECTION_OPTIONS, connectionSettings, createClient } from './connection-options.js';
import { UsageError } from './errors.js';
import { describeFailure } from './failures.js';
import { writeLine } from './io.js';

/** `ams-client publish ASSET`: what v2 code did to stream an asset, and the URLs it gives. */
export const publishCommand: LeafCommand = {
  name: 'publish',
  summary: 'Publish an asset for streaming: start the streaming endpoint if it is stopped, make an OnDemandOrigin locator, print a URL per file.',
  details:
    'The endpoint is started (and its operation awaited) only when it is Stopped.\n' +
    'Prints the endpoint, the locator, then one line per file: <name> <url>.',
  positionals: { placeholder: 'ASSET', description: 'the asset id, nb:cid:UUID:... (as `ams-client ls assets` prints it)', min: 1 },
  options: [
    ...CONNECTION_OPTIONS,
    { name: 'streaming-endpoint', type: 'string', placeholder: 'NAME', description: 'the StreamingEndpoint to serve through (default: default)' },
    { name: 'days', type: 'string', placeholder: 'N', description: 'how many days the URLs work (default 30)' },
  ],
  async run(options, io) {
    const settings = connectionSettings(options, io.env);
    const client = createClient(settings);
    if (options.positionals.length !== 1) throw new UsageError('publish takes exactly one ASSET');
    const assetId = options.positionals[0]!;
    const days = options.optionalString('days');
    if (days !== undefined && !(/^\d{1,5}$/.test(days) && Number(days) >= 1)) throw new UsageError(`--days must be a whole number of days from 1, not ${JSON.stringify(days)}`);
    const endpointName = options.optionalString('streaming-endpoint');
    const publish: PublishOptions = {
      ...(io.signal ? { signal: io.signal } : {}),
      ...(endpointName !== undefined ? { endpointName } : {}),
      ...(days !== undefined ? { durationMinutes: Number(days) * 24 * 60 } : {}),
    };
    try {
      await client.discoverBaseUri(publish);
      const result = await publishAsset(client, assetId, publish);
      await writeLine(io, `Streaming endpoint ${result.endpoint.Name} (${result.endpoint.Id}) is ${result.endpoint.State} at ${result.endpoint.HostName ?? '(no host name)'}`);
      if (result.deliveryPolicyId !== undefined) await writeLine(io, `Delivery policy ${result.deliveryPolicyId} (NoDynamicEncryption: the storage-encrypted asset streams in the clear) linked`);
      await writeLine(io, `Locator ${result.locator.Id}: ${result.locator.Path ?? ''}`);
      for (const { name, url } of result.urls) await writeLine(io, `${name} ${url}`);
    } catch (err) {
      throw describeFailure(err, { action: `publish ${assetId}`, auth: settings.auth, signal: io.signal });
    }
  },
};
