/**
 * Azure Storage connection strings: the subset the emulator needs (an account name and key, so it
 * can sign requests and mint SAS, and a blob endpoint).
 */

/** Azurite's (and the old Storage Emulator's) well-known development account. */
export const DEV_ACCOUNT_NAME = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/** Where `UseDevelopmentStorage=true` points. */
export const DEV_BLOB_ENDPOINT = `http://127.0.0.1:10000/${DEV_ACCOUNT_NAME}`;

export interface StorageConnection {
  accountName: string;
  /** base64 shared key */
  accountKey: string;
  /** Without a trailing slash, e.g. `http://127.0.0.1:10000/devstoreaccount1` or `https://acct.blob.core.windows.net`. */
  blobEndpoint: string;
}

export class ConnectionStringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionStringError';
  }
}

/**
 * Accepts `UseDevelopmentStorage=true` (optionally with `DevelopmentStorageProxyUri`), account-key
 * strings with an explicit `BlobEndpoint`, and account-key strings built from
 * `DefaultEndpointsProtocol` + `AccountName` + `EndpointSuffix`. Keys are matched
 * case-insensitively, as Azure's own parsers do. SAS-only strings are refused: the emulator signs
 * its own SAS and needs the account key. Error messages never repeat the key.
 */
export function parseConnectionString(connectionString: string): StorageConnection {
  const settings = parseSettings(connectionString);
  const get = (name: string): string | undefined => settings.get(name.toLowerCase());

  if (get('UseDevelopmentStorage')?.toLowerCase() === 'true') {
    const proxy = get('DevelopmentStorageProxyUri');
    const blobEndpoint = proxy ? `${withoutTrailingSlash(validUrl(proxy, 'DevelopmentStorageProxyUri')).replace(/:\d+$/, '')}:10000/${DEV_ACCOUNT_NAME}` : DEV_BLOB_ENDPOINT;
    return { accountName: DEV_ACCOUNT_NAME, accountKey: DEV_ACCOUNT_KEY, blobEndpoint };
  }

  const accountName = get('AccountName');
  const accountKey = get('AccountKey');
  if (!accountKey) {
    const sasHint = get('SharedAccessSignature') ? ' (a SAS connection string is not enough: the emulator signs its own SAS)' : '';
    throw new ConnectionStringError(`storage connection string has no AccountKey${sasHint}; expected e.g. ${formatConnectionString({ accountName: DEV_ACCOUNT_NAME, accountKey: '<key>', blobEndpoint: DEV_BLOB_ENDPOINT })}`);
  }
  if (!accountName) throw new ConnectionStringError('storage connection string has no AccountName');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(accountKey)) throw new ConnectionStringError(`storage connection string's AccountKey for ${accountName} is not base64`);

  const explicit = get('BlobEndpoint');
  let blobEndpoint: string;
  if (explicit) {
    blobEndpoint = withoutTrailingSlash(validUrl(explicit, 'BlobEndpoint'));
  } else {
    const protocol = (get('DefaultEndpointsProtocol') ?? 'https').toLowerCase();
    if (protocol !== 'http' && protocol !== 'https') throw new ConnectionStringError(`storage connection string's DefaultEndpointsProtocol must be http or https, not ${protocol}`);
    const suffix = get('EndpointSuffix') ?? 'core.windows.net';
    blobEndpoint = withoutTrailingSlash(validUrl(`${protocol}://${accountName}.blob.${suffix}`, 'EndpointSuffix'));
  }
  return { accountName, accountKey, blobEndpoint };
}

/** The canonical account-key form, with an explicit BlobEndpoint (so path-style Azurite URLs survive). */
export function formatConnectionString(connection: StorageConnection): string {
  const protocol = connection.blobEndpoint.startsWith('https:') ? 'https' : 'http';
  return `DefaultEndpointsProtocol=${protocol};AccountName=${connection.accountName};AccountKey=${connection.accountKey};BlobEndpoint=${connection.blobEndpoint};`;
}

/**
 * The connection string for an Azurite listening at `url` (e.g. `http://127.0.0.1:10000`):
 * path-style, so the account is the first path segment.
 */
export function azuriteConnectionString(url: string, accountName = DEV_ACCOUNT_NAME, accountKey = DEV_ACCOUNT_KEY, queueUrl?: string): string {
  const base = formatConnectionString({ accountName, accountKey, blobEndpoint: `${withoutTrailingSlash(url)}/${accountName}` });
  return queueUrl === undefined ? base : `${base}QueueEndpoint=${withoutTrailingSlash(queueUrl)}/${accountName};`;
}

/** Where `UseDevelopmentStorage=true` finds the queue service. */
export const DEV_QUEUE_ENDPOINT = `http://127.0.0.1:10001/${DEV_ACCOUNT_NAME}`;

/**
 * The queue endpoint of the account a connection string names (job notifications to AzureQueue
 * endpoints go there), without a trailing slash: its `QueueEndpoint`, the development storage's,
 * or `<protocol>://<account>.queue.<suffix>` for a string built from the account name. undefined
 * when the string names an explicit BlobEndpoint but no QueueEndpoint: the queue service of such
 * an account cannot be guessed.
 */
export function queueEndpointOf(connectionString: string): string | undefined {
  const settings = parseSettings(connectionString);
  const get = (name: string): string | undefined => settings.get(name.toLowerCase());
  if (get('UseDevelopmentStorage')?.toLowerCase() === 'true') {
    const proxy = get('DevelopmentStorageProxyUri');
    return proxy ? `${withoutTrailingSlash(validUrl(proxy, 'DevelopmentStorageProxyUri')).replace(/:\d+$/, '')}:10001/${DEV_ACCOUNT_NAME}` : DEV_QUEUE_ENDPOINT;
  }
  const explicit = get('QueueEndpoint');
  if (explicit) return withoutTrailingSlash(validUrl(explicit, 'QueueEndpoint'));
  const accountName = get('AccountName');
  if (get('BlobEndpoint') || !accountName) return undefined;
  const protocol = (get('DefaultEndpointsProtocol') ?? 'https').toLowerCase();
  return `${protocol}://${accountName}.queue.${get('EndpointSuffix') ?? 'core.windows.net'}`;
}

/** For logs and error messages: the same string with the key (and any SAS signature) replaced. */
export function redactConnectionString(connectionString: string): string {
  return connectionString
    .replace(/(AccountKey=)[^;]*/gi, '$1***')
    .replace(/(SharedAccessSignature=)[^;]*/gi, '$1***');
}

function parseSettings(connectionString: string): Map<string, string> {
  const settings = new Map<string, string>();
  const trimmed = connectionString.trim();
  if (trimmed === '') throw new ConnectionStringError('storage connection string is empty');
  for (const part of trimmed.split(';')) {
    const segment = part.trim();
    if (segment === '') continue;
    // Only the first '=' separates: base64 keys end with '='.
    const eq = segment.indexOf('=');
    if (eq <= 0) throw new ConnectionStringError(`storage connection string segment "${redactSegment(segment)}" is not Name=Value`);
    settings.set(segment.slice(0, eq).trim().toLowerCase(), segment.slice(eq + 1).trim());
  }
  return settings;
}

function validUrl(value: string, setting: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConnectionStringError(`storage connection string's ${setting} is not a URL: ${value}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConnectionStringError(`storage connection string's ${setting} must be http or https: ${value}`);
  if (url.search || url.hash) throw new ConnectionStringError(`storage connection string's ${setting} must not carry a query or fragment: ${value}`);
  return value;
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function redactSegment(segment: string): string {
  return segment.length > 24 ? `${segment.slice(0, 12)}...` : segment;
}
