import { randomBytes } from 'node:crypto';
import {
  contentKeyChecksum, ContentKeyType, formatKeyId, newGuid, ProtectionKeyType,
  type ChecksumVariant, type ContentKey, type CreateContentKeyRequest,
} from '../../../client/src/index.js';
import type { Target } from '../target/target.js';
import { outcomeOf, type Outcome } from './outcome.js';
import type { Resources } from './resources.js';
import { wrapAs, type WrapInputs, type WrapKind } from './wraps.js';

/** A storage-encryption content key to create, right or wrong in chosen ways. */
export interface KeyPlan {
  key: Buffer;
  /** `nb:kid:UUID:<guid>`; a fresh one when omitted. */
  id?: string;
  /** Default: the right wrap (RSA-OAEP-SHA1 to the protection certificate). */
  wrap?: WrapKind;
  wrapInputs?: Omit<WrapInputs, 'protection'>;
  /** Default: the .NET checksum; `none` sends no Checksum. */
  checksum?: ChecksumVariant | 'none';
}

export interface PlannedKey {
  id: string;
  key: Buffer;
  request: CreateContentKeyRequest;
}

/** The POST ContentKeys body for a plan, against the target's protection certificate. */
export async function plannedKey(target: Target, plan: KeyPlan): Promise<PlannedKey> {
  const protection = await target.protectionCertificate();
  const id = plan.id ?? formatKeyId(newGuid());
  const wrapInputs: WrapInputs = { protection: protection.base64Der, other: plan.wrapInputs?.other ?? protection.base64Der, ...plan.wrapInputs };
  const checksum = plan.checksum ?? 'dotnet';
  const request: CreateContentKeyRequest = {
    Id: id,
    EncryptedContentKey: wrapAs(plan.wrap ?? 'oaep-sha1', plan.key, wrapInputs),
    ContentKeyType: ContentKeyType.StorageEncryption,
    ProtectionKeyId: protection.thumbprint,
    ProtectionKeyType: ProtectionKeyType.X509CertificateThumbprint,
    ...(checksum === 'none' ? {} : { Checksum: contentKeyChecksum(plan.key, id, checksum) }),
  };
  return { id, key: plan.key, request };
}

/** POST ContentKeys; the key is tracked for deletion when it was created. */
export async function createKey(target: Target, resources: Resources, planned: PlannedKey): Promise<Outcome<ContentKey>> {
  const outcome = await outcomeOf(() => target.client().createContentKey(planned.request));
  if (outcome.ok) resources.track('ContentKeys', outcome.value.Id);
  return outcome;
}

/** A correct storage key that must be accepted in every mode. */
export async function createGoodKey(target: Target, resources: Resources, key: Buffer = randomBytes(32)): Promise<PlannedKey> {
  const planned = await plannedKey(target, { key });
  const outcome = await createKey(target, resources, planned);
  if (!outcome.ok) throw new Error(`a correct storage key was refused: HTTP ${outcome.status}: ${outcome.message}`);
  return planned;
}
