import { randomBytes } from 'node:crypto';
import { contentKeyChecksum, formatKeyId, newGuid } from '../../../client/src/index.js';
import { withResources } from '../workflow/resources.js';
import { createKey, plannedKey } from '../workflow/storage-keys.js';
import type { Target, TargetMode } from './target.js';

export interface DetectedMode {
  mode: TargetMode;
  /** How it was found out, for the report. */
  source: string;
}

/**
 * Compat or strict: the emulator says so in its health answer; any other endpoint is asked by
 * creating a content key with a checksum the Java/PHP way (RFC 4122 byte order), which the real
 * service accepted and a strict server refuses.
 */
export async function detectMode(target: Target): Promise<DetectedMode> {
  const strict = target.extras?.health?.strict;
  if (strict !== undefined) return { mode: strict ? 'strict' : 'compat', source: 'GET /_emulator/health' };
  return withResources(target.client(), async (resources) => {
    let id = formatKeyId(newGuid());
    const key = randomBytes(32);
    while (contentKeyChecksum(key, id, 'rfc4122') === contentKeyChecksum(key, id, 'dotnet')) id = formatKeyId(newGuid());
    const created = await createKey(target, resources, await plannedKey(target, { key, id, checksum: 'rfc4122' }));
    if (created.ok) return { mode: 'compat', source: 'probed: a content key with an RFC 4122-order checksum was accepted' };
    if (created.status === 400) return { mode: 'strict', source: 'probed: a content key with an RFC 4122-order checksum was refused (400)' };
    throw new Error(`cannot tell compat from strict: POST ContentKeys answered HTTP ${created.status}: ${created.message}`);
  });
}
