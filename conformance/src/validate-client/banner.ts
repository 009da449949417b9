/**
 * What `ams-emulator` prints when it is ready: everything a client needs. The kit reads it rather
 * than importing the emulator, so it works with whatever emulator build it spawns.
 */
export interface EmulatorBanner {
  /** The API root, e.g. `http://127.0.0.1:40123/api/`. */
  api: string;
  tokenEndpoints: { acs: string; aadV1: string | undefined; aadV2: string | undefined };
  clientId: string;
  clientSecret: string;
  storageConnectionString: string;
  health: string;
}

/** The banner's fields once its last line (Health) has arrived; undefined until then. */
export function parseBanner(output: string): EmulatorBanner | undefined {
  const fields = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split(/\r?\n/)) {
    const labelled = /^\s+([A-Za-z][A-Za-z ]*?):\s+(\S.*)$/.exec(line);
    if (labelled) {
      current = [labelled[2]!.trim()];
      fields.set(labelled[1]!, current);
    } else if (current && /^\s{4,}\S/.test(line)) {
      current.push(line.trim());
    } else {
      current = undefined;
    }
  }
  const health = fields.get('Health')?.[0];
  if (health === undefined) return undefined;
  const api = fields.get('API')?.[0];
  const tokens = (fields.get('Token endpoints') ?? []).map((l) => l.split(/\s+/)[0]!);
  const credentials = /client_id=(\S+)\s+client_secret=(\S+)/.exec(fields.get('Dev credentials')?.[0] ?? '');
  const storage = fields.get('Storage connection')?.[0];
  if (!api || !credentials || !storage || tokens.length === 0) {
    throw new Error(`the emulator's banner lacks ${[!api && 'API', tokens.length === 0 && 'Token endpoints', !credentials && 'Dev credentials', !storage && 'Storage connection'].filter(Boolean).join(', ')}`);
  }
  return {
    api,
    tokenEndpoints: {
      acs: tokens.find((t) => /\/v2\/OAuth2-13$/i.test(t)) ?? tokens[0]!,
      aadV1: tokens.find((t) => /\/oauth2\/token$/i.test(t)),
      aadV2: tokens.find((t) => /\/oauth2\/v2\.0\/token$/i.test(t)),
    },
    clientId: credentials[1]!,
    clientSecret: credentials[2]!,
    storageConnectionString: storage,
    health,
  };
}
