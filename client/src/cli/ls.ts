import {
  AmsRequestError, AssetCreationOptions, ContentKeyType, listAll, LocatorType,
  type AmsClient, type Asset, type AssetFile, type CallOptions, type ContentKey, type Locator,
} from '../rest/index.js';
import type { CommandGroup, LeafCommand, OptionSpec, ParsedOptions } from './command.js';
import { CONNECTION_OPTIONS, connectionSettings, createClient } from './connection-options.js';
import { CommandFailure } from './errors.js';
import { describeFailure } from './failures.js';
import { writeLine, type CliIo } from './io.js';

/** `ams-client ls assets|files|keys|locators`: what an account holds, as a table or as JSON. */

const LS_JSON: OptionSpec = { name: 'json', type: 'boolean', description: 'print the entities as one line of JSON (the service\'s property names)' };
const ASSET_FILTER: OptionSpec = { name: 'asset', type: 'string', placeholder: 'ID', description: 'only those of this asset' };

/** How one entity set is listed and shown. */
interface Listing<T> {
  name: string;
  summary: string;
  /** Every entity, or those of one asset. */
  list(client: AmsClient, assetId: string | undefined, call: CallOptions): Promise<T[]>;
  columns: ReadonlyArray<{ title: string; value: (entity: T) => string }>;
  /** Whether --asset narrows the listing. */
  byAsset: boolean;
}

const assets: Listing<Asset> = {
  name: 'assets',
  summary: 'List the assets.',
  byAsset: false,
  list: (client, _assetId, call) => listAll((query, options) => client.listAssets(query, options), {}, call),
  columns: [
    { title: 'ID', value: (a) => a.Id },
    { title: 'OPTIONS', value: (a) => nameOf(AssetCreationOptions, a.Options) },
    { title: 'CREATED', value: (a) => isoSeconds(a.Created) },
    { title: 'NAME', value: (a) => a.Name ?? '' },
  ],
};

const files: Listing<AssetFile> = {
  name: 'files',
  summary: 'List the files (of all assets, or of one with --asset).',
  byAsset: true,
  list: (client, assetId, call) =>
    assetId === undefined
      ? listAll((query, options) => client.listFiles(query, options), {}, call)
      : listAll((query, options) => client.listAssetFiles(assetId, query, options), {}, call),
  columns: [
    { title: 'ID', value: (f) => f.Id },
    { title: 'ASSET', value: (f) => f.ParentAssetId },
    { title: 'SIZE', value: (f) => f.ContentFileSize.toString() },
    { title: 'ENCRYPTION', value: (f) => (f.IsEncrypted ? (f.EncryptionScheme ?? 'yes') : 'none') },
    { title: 'NAME', value: (f) => f.Name },
  ],
};

const keys: Listing<ContentKey> = {
  name: 'keys',
  summary: 'List the content keys (of all assets, or of one with --asset). The keys themselves stay wrapped.',
  byAsset: true,
  list: (client, assetId, call) =>
    assetId === undefined
      ? listAll((query, options) => client.listContentKeys(query, options), {}, call)
      : client.listAssetContentKeys(assetId, call),
  columns: [
    { title: 'ID', value: (k) => k.Id },
    { title: 'TYPE', value: (k) => nameOf(ContentKeyType, k.ContentKeyType) },
    { title: 'PROTECTION KEY', value: (k) => k.ProtectionKeyId ?? '' },
    { title: 'CREATED', value: (k) => isoSeconds(k.Created) },
    { title: 'NAME', value: (k) => k.Name ?? '' },
  ],
};

const locators: Listing<Locator> = {
  name: 'locators',
  summary: 'List the locators (of all assets, or of one with --asset).',
  byAsset: true,
  list: (client, assetId, call) =>
    assetId === undefined
      ? listAll((query, options) => client.listLocators(query, options), {}, call)
      : client.listAssetLocators(assetId, call),
  columns: [
    { title: 'ID', value: (l) => l.Id },
    { title: 'TYPE', value: (l) => nameOf(LocatorType, l.Type) },
    { title: 'ASSET', value: (l) => l.AssetId },
    { title: 'EXPIRES', value: (l) => (l.ExpirationDateTime ? isoSeconds(l.ExpirationDateTime) : '') },
  ],
};

function listCommand<T>(listing: Listing<T>): LeafCommand {
  return {
    name: listing.name,
    summary: listing.summary,
    options: [...CONNECTION_OPTIONS, ...(listing.byAsset ? [ASSET_FILTER] : []), LS_JSON],
    async run(options: ParsedOptions, io: CliIo) {
      const settings = connectionSettings(options, io.env);
      const assetId = listing.byAsset ? options.optionalString('asset') : undefined;
      const call: CallOptions = io.signal ? { signal: io.signal } : {};
      const client = createClient(settings);
      let entities: T[];
      try {
        await client.discoverBaseUri(call);
        entities = await listing.list(client, assetId, call);
      } catch (err) {
        if (assetId !== undefined && err instanceof AmsRequestError && (err.status === 404 || err.status === 400)) {
          throw new CommandFailure(`asset ${assetId} was not found: ${err.serviceMessage ?? `HTTP ${err.status}`}; 'ams-client ls assets' lists the assets`);
        }
        throw describeFailure(err, { action: `ls ${listing.name}`, auth: settings.auth, signal: io.signal });
      }
      if (options.flag('json')) {
        await writeLine(io, JSON.stringify(entities, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)));
        return;
      }
      if (entities.length === 0) {
        await writeLine(io, `No ${listing.name}${assetId === undefined ? '' : ` in asset ${assetId}`}.`);
        return;
      }
      await writeLine(io, table(listing.columns, entities));
    },
  };
}

export const lsCommands: CommandGroup = {
  name: 'ls',
  summary: 'List assets, files, content keys or locators.',
  commands: [listCommand(assets), listCommand(files), listCommand(keys), listCommand(locators)],
};

/** Columns padded to their widest cell; the last one (a name of any length) is not padded. */
export function table<T>(columns: Listing<T>['columns'], rows: readonly T[]): string {
  const cells = [columns.map((c) => c.title), ...rows.map((row) => columns.map((c) => oneLine(c.value(row))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** An enum value by its .NET name, or the number when this client does not know it. */
function nameOf(values: Readonly<Record<string, number>>, value: number): string {
  return Object.entries(values).find(([, v]) => v === value)?.[0] ?? String(value);
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** A name with a line break would break the table's rows apart. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\t]/g, ' ');
}
