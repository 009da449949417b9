import { AmsRequestError, type CallOptions } from '../rest/index.js';
import type { LeafCommand } from './command.js';
import { CONNECTION_OPTIONS, connectionSettings, createClient } from './connection-options.js';
import { CommandFailure } from './errors.js';
import { describeFailure } from './failures.js';
import { writeLine } from './io.js';

/** `ams-client rm ASSET...`: delete assets, as DELETE Assets('..') does on the service. */
export const rmCommand: LeafCommand = {
  name: 'rm',
  summary: 'Delete assets: their files, their storage-encryption key and (unless --keep-container) their blobs go with them.',
  details:
    'Every asset named is tried, in order; one that cannot be deleted does not stop the others.\n' +
    'Exit status 1 when any of them was not deleted (one that does not exist included).',
  positionals: { placeholder: 'ASSET', description: 'asset ids, nb:cid:UUID:... (as `ams-client ls assets` prints them)', min: 1 },
  options: [...CONNECTION_OPTIONS, { name: 'keep-container', type: 'boolean', description: "keep the asset's blob container and its blobs (?keepcontainer=true)" }],
  async run(options, io) {
    const settings = connectionSettings(options, io.env);
    const keepContainer = options.flag('keep-container');
    const call: CallOptions = io.signal ? { signal: io.signal } : {};
    const client = createClient(settings);
    const problems: string[] = [];
    try {
      await client.discoverBaseUri(call);
    } catch (err) {
      throw describeFailure(err, { action: 'rm', auth: settings.auth, signal: io.signal });
    }
    for (const assetId of new Set(options.positionals)) {
      try {
        await client.deleteAsset(assetId, { ...call, ...(keepContainer ? { keepContainer } : {}) });
        await writeLine(io, `Deleted asset ${assetId}${keepContainer ? ' (its blob container was kept)' : ''}`);
      } catch (err) {
        if (err instanceof AmsRequestError && err.status === 404) {
          problems.push(`asset ${assetId} was not found`);
          continue;
        }
        const failure = describeFailure(err, { action: `rm ${assetId}`, auth: settings.auth, signal: io.signal });
        // Credentials or the endpoint are wrong, or the user stopped it: the rest would fail alike.
        if (io.signal?.aborted || !(err instanceof AmsRequestError) || err.status === 401 || err.status === 403) throw failure;
        problems.push(failure.message);
      }
    }
    if (problems.length > 0) throw new CommandFailure(`${problems.join('; ')}${problems.some((p) => p.endsWith('was not found')) ? "; 'ams-client ls assets' lists the assets" : ''}`);
  },
};
