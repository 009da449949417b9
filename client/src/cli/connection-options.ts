import { AmsClient, type AmsAuth, type WireFormat } from '../rest/index.js';
import type { OptionSpec, ParsedOptions } from './command.js';
import { UsageError } from './errors.js';
import { parseChoice } from './inputs.js';
import { packageVersion } from './version.js';

/**
 * Where and as whom a command talks to AMS: the endpoint and the credentials, from flags or from
 * the environment (a flag wins over its variable), shared by upload, download and ls.
 */

export const CONNECTION_OPTIONS: readonly OptionSpec[] = [
  { name: 'endpoint', type: 'string', placeholder: 'URL', description: 'the AMS v2 REST endpoint, e.g. http://127.0.0.1:10010/api/ (env AMS_ENDPOINT)' },
  { name: 'token', type: 'string', placeholder: 'T', description: 'a bearer token, sent as is (env AMS_TOKEN)' },
  { name: 'client-id', type: 'string', placeholder: 'ID', description: 'client id for a token endpoint, with --client-secret (env AMS_CLIENT_ID)' },
  { name: 'client-secret', type: 'string', placeholder: 'S', description: 'client secret (env AMS_CLIENT_SECRET; the variable keeps it out of `ps`)' },
  {
    name: 'token-endpoint',
    type: 'string',
    placeholder: 'URL',
    description: 'where to get tokens (env AMS_TOKEN_ENDPOINT); default <endpoint origin>/v2/OAuth2-13 (ACS); a path with /oauth2/ means Azure AD',
  },
  { name: 'odata', type: 'string', placeholder: 'minimal|verbose', description: 'JSON dialect to speak: minimal metadata (default) or verbose' },
];

/** The environment variables that stand in for the connection flags. */
export const CONNECTION_ENV = {
  endpoint: 'AMS_ENDPOINT',
  token: 'AMS_TOKEN',
  'client-id': 'AMS_CLIENT_ID',
  'client-secret': 'AMS_CLIENT_SECRET',
  'token-endpoint': 'AMS_TOKEN_ENDPOINT',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

export interface ConnectionSettings {
  endpoint: string;
  auth: AmsAuth;
  format: WireFormat;
}

/** The ACS-era token path; the emulator serves it on its own origin. */
const ACS_TOKEN_PATH = '/v2/OAuth2-13';

/**
 * Resolve the connection from the parsed flags and the environment. Credentials come from one
 * place only: if any credential flag is given, the credential variables are ignored, so a token
 * left in the environment cannot mix with a client id typed on the command line. Among the
 * variables, AMS_TOKEN wins over AMS_CLIENT_ID/AMS_CLIENT_SECRET.
 */
export function connectionSettings(options: ParsedOptions, env: Env): ConnectionSettings {
  const endpoint = checkUrl('endpoint', options.optionalString('endpoint') ?? nonEmpty(env[CONNECTION_ENV.endpoint]), CONNECTION_ENV.endpoint);
  if (endpoint === undefined) throw new UsageError(`missing --endpoint URL (or set ${CONNECTION_ENV.endpoint}): the AMS v2 REST endpoint, e.g. http://127.0.0.1:10010/api/`);
  const odata = options.optionalString('odata');
  const format: WireFormat = odata === undefined || parseChoice('odata', odata, ['minimal', 'verbose'] as const) === 'minimal' ? 'json' : 'verbose';
  return { endpoint, auth: resolveAuth(options, env, endpoint), format };
}

/** An `AmsClient` for the settings, naming this tool in its User-Agent. */
export function createClient(settings: ConnectionSettings): AmsClient {
  return new AmsClient({ endpoint: settings.endpoint, auth: settings.auth, format: settings.format, userAgent: `ams-client/${packageVersion()}` });
}

/**
 * The token endpoint used when none is given: `<origin of the endpoint>/v2/OAuth2-13`, the ACS
 * form, where the emulator issues tokens for any endpoint it serves. A real AMS account needs
 * --token-endpoint (its Azure AD tenant's `.../oauth2/token` cannot be derived from the endpoint).
 */
export function defaultTokenEndpoint(endpoint: string): string {
  return new URL(ACS_TOKEN_PATH, endpoint).toString();
}

/** Azure AD's token endpoints (`/<tenant>/oauth2/token`, `/oauth2/v2.0/token`) have /oauth2/ in their path; ACS's do not. */
export function tokenEndpointKind(tokenEndpoint: string): 'acs' | 'aad' {
  return /\/oauth2\//i.test(new URL(tokenEndpoint).pathname) ? 'aad' : 'acs';
}

function resolveAuth(options: ParsedOptions, env: Env, endpoint: string): AmsAuth {
  const flags = {
    token: options.optionalString('token'),
    clientId: options.optionalString('client-id'),
    clientSecret: options.optionalString('client-secret'),
  };
  const fromFlags = Object.values(flags).some((v) => v !== undefined);
  const source = fromFlags
    ? { ...flags, names: { token: '--token', clientId: '--client-id', clientSecret: '--client-secret' } }
    : {
        token: nonEmpty(env[CONNECTION_ENV.token]),
        clientId: nonEmpty(env[CONNECTION_ENV['client-id']]),
        clientSecret: nonEmpty(env[CONNECTION_ENV['client-secret']]),
        names: { token: CONNECTION_ENV.token, clientId: CONNECTION_ENV['client-id'], clientSecret: CONNECTION_ENV['client-secret'] },
      };
  const { names } = source;
  // The environment may offer both (ams-conformance validate-client sets every AMS_* variable):
  // a ready token is then used as is. Flags must still choose one.
  if (!fromFlags && source.token !== undefined) return { kind: 'static', token: source.token };
  const hasCredentials = source.clientId !== undefined || source.clientSecret !== undefined;

  if (source.token !== undefined && hasCredentials) {
    throw new UsageError(`give either ${names.token} or ${names.clientId} with ${names.clientSecret}, not both`);
  }
  if (source.token !== undefined) return { kind: 'static', token: source.token };
  if (!hasCredentials) {
    throw new UsageError(
      `no credentials: give --token (or ${CONNECTION_ENV.token}), or --client-id and --client-secret (or ${CONNECTION_ENV['client-id']} and ${CONNECTION_ENV['client-secret']}); the emulator in its default auth mode takes any token`,
    );
  }
  if (source.clientId === undefined) throw new UsageError(`${names.clientSecret} needs ${names.clientId}`);
  if (source.clientSecret === undefined) throw new UsageError(`${names.clientId} needs ${names.clientSecret}`);

  const tokenEndpoint =
    checkUrl('token-endpoint', options.optionalString('token-endpoint') ?? nonEmpty(env[CONNECTION_ENV['token-endpoint']]), CONNECTION_ENV['token-endpoint']) ??
    defaultTokenEndpoint(endpoint);
  return { kind: tokenEndpointKind(tokenEndpoint), tokenEndpoint, clientId: source.clientId, clientSecret: source.clientSecret };
}

/** An http(s) URL, or a usage error naming the flag (and its variable, where it may have come from). */
function checkUrl(option: string, value: string | undefined, variable: string): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--${option} (or ${variable}) must be an http or https URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--${option} (or ${variable}) must be an http or https URL, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** An empty variable (`AMS_TOKEN=`) counts as unset, as shells make it easy to leave one so. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
