import { resolveIv, type ClearSource } from '../content/clear-stream.js';
import { openStorageKey } from '../domain/content-keys.js';
import { assetStorageKeyId } from '../model/asset.js';
import { allFiles, type AssetFileRecord } from '../model/asset-file.js';
import { allContentKeys, getContentKey } from '../model/content-key.js';
import type { Services } from '../app/services.js';
import { StorageRequestError, type BlockInfo } from '../storage/types.js';
import type { DeclaredType } from './content-types.js';
import { diagnose } from './diagnose.js';
import type { Digests } from './digests.js';
import { buildHypotheses, type HypothesisInputs } from './hypotheses.js';
import type { Diagnosis, VerifyLimits } from './types.js';

/**
 * Gather what the hypotheses about one file need from the store and storage (its block list, the
 * account's other keys, the IVs of the asset's other files) and run the diagnosis on its blob.
 */
export async function diagnoseFile(
  services: Services,
  file: AssetFileRecord,
  located: ClearSource,
  key: { id: string; key: Buffer } | undefined,
  iv: bigint | undefined,
  target: Digests,
  declared: DeclaredType,
  options: { limits: VerifyLimits; signal?: AbortSignal },
): Promise<Diagnosis> {
  const encrypted = file.IsEncrypted === true;
  const inputs: HypothesisInputs = {
    encrypted,
    key,
    iv,
    ivText: file.InitializationVector ?? '',
    blocks: [],
    otherKeys: [],
    otherFileIvs: [],
  };
  if (encrypted) {
    inputs.blocks = await blockList(services, located);
    inputs.otherKeys = otherContentKeys(services, key?.id, options.limits.verifyMaxAlternatives);
    inputs.otherFileIvs = otherFileIvs(services, file, options.limits.verifyMaxAlternatives);
  } else {
    // A clear file in an asset with a storage key: did the client encrypt it after all?
    const assetKeyId = assetStorageKeyId(services.store, located.asset.Id);
    const keyRecord = assetKeyId ? getContentKey(services.store, assetKeyId) : undefined;
    const opened = keyRecord ? openStorageKey(services.keys, keyRecord.EncryptedContentKey) : undefined;
    if (opened?.ok) inputs.key = { id: assetKeyId!, key: opened.key };
    try {
      inputs.iv = resolveIv(file);
    } catch {
      inputs.iv = undefined;
    }
  }
  return diagnose({
    readRaw: (offset, count) => services.storage.readBlob(located.container, located.blob.name, offset, count),
    size: located.blob.size,
    hypotheses: buildHypotheses(inputs),
    target,
    declared,
    limits: options.limits,
    signal: options.signal,
  });
}

/** Block boundaries; none for a blob that is not a block blob (a page or append blob has no block list). */
async function blockList(services: Services, located: ClearSource): Promise<BlockInfo[]> {
  try {
    return (await services.storage.getBlockList(located.container, located.blob.name)) ?? [];
  } catch (err) {
    if (err instanceof StorageRequestError) return [];
    throw err;
  }
}

/** The account's other 32-byte keys that open, newest first (a client that mixed up its keys used a recent one). */
function otherContentKeys(services: Services, fileKeyId: string | undefined, max: number): Array<{ id: string; key: Buffer }> {
  const out: Array<{ id: string; key: Buffer }> = [];
  const records = allContentKeys(services.store).reverse();
  for (const record of records) {
    if (out.length >= max) break;
    const id = record.Id;
    if (id === fileKeyId) continue;
    const opened = openStorageKey(services.keys, record.EncryptedContentKey);
    if (opened.ok) out.push({ id, key: opened.key });
  }
  return out;
}

function otherFileIvs(services: Services, file: AssetFileRecord, max: number): Array<{ fileId: string; name: string; iv: bigint }> {
  const out: Array<{ fileId: string; name: string; iv: bigint }> = [];
  for (const other of allFiles(services.store)) {
    if (out.length >= max) break;
    if (other.ParentAssetId !== file.ParentAssetId || other.Id === file.Id || other.IsEncrypted !== true) continue;
    try {
      out.push({ fileId: other.Id, name: other.Name, iv: resolveIv(other) });
    } catch {
      // An unusable IV of another file cannot have been used for this one either.
    }
  }
  return out;
}

