import { newGuid } from '../crypto/index.js';
import type { AmsClient } from '../rest/client.js';
import { LocatorType, type AccessPolicy, type Locator } from '../rest/entities.js';
import { AmsCleanupError, AmsWorkflowError, type Leftover } from './errors.js';

export interface SasAccessOptions {
  assetId: string;
  /** AccessPermissions: Write (2) to upload, Read (1) to download. */
  permissions: number;
  durationMinutes: number;
  /** The access policy is named `<namePrefix>-<guid>`. */
  namePrefix: string;
  signal?: AbortSignal | undefined;
  /** Told about cleanup failures that happen while another error is already on its way out. */
  onCleanupError?: ((error: unknown, leftover: Leftover) => void) | undefined;
}

/** A SAS locator on an asset's container, with the URL of any blob in it. */
export interface SasAccess {
  locator: Locator;
  policy: AccessPolicy;
  /** `BaseUri + "/" + name + ContentAccessComponent`, the URL the .NET SDK and the docs use. */
  blobUrl(name: string): string;
}

/** The docs advise backdating StartTime against clock skew between client, AMS and storage. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Run `work` with a temporary SAS locator: POST AccessPolicies, POST Locators (Type 1), and in every
 * case DELETE both again, locator first. The two creates run without the caller's signal: an abort
 * that lands while a create is on the wire could leave an entity the client never learns the id of,
 * so write access would outlive the upload. The abort is honoured between steps instead. Cleanup
 * also runs without the signal and never hides the error that ended `work`.
 */
export async function withSasAccess<T>(client: AmsClient, options: SasAccessOptions, work: (access: SasAccess) => Promise<T>): Promise<T> {
  const created: Leftover[] = [];
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    options.signal?.throwIfAborted();
    const policy = await client.createAccessPolicy({ Name: `${options.namePrefix}-${newGuid()}`, DurationInMinutes: options.durationMinutes, Permissions: options.permissions });
    created.push({ entitySet: 'AccessPolicies', id: policy.Id });
    options.signal?.throwIfAborted();
    const locator = await client.createLocator({ AccessPolicyId: policy.Id, AssetId: options.assetId, Type: LocatorType.Sas, StartTime: new Date(Date.now() - CLOCK_SKEW_MS) });
    created.unshift({ entitySet: 'Locators', id: locator.Id });
    options.signal?.throwIfAborted();
    outcome = { ok: true, value: await work({ locator, policy, blobUrl: blobUrlFor(locator) }) };
  } catch (error) {
    outcome = { ok: false, error };
  }

  const failures = await deleteAll(client, created);
  if (!outcome.ok) {
    for (const { leftover, error } of failures) options.onCleanupError?.(error, leftover);
    throw outcome.error;
  }
  if (failures.length > 0) {
    throw new AmsCleanupError(outcome.value, failures.map((f) => f.leftover), failures.map((f) => f.error));
  }
  return outcome.value;
}

async function deleteAll(client: AmsClient, leftovers: Leftover[]): Promise<Array<{ leftover: Leftover; error: unknown }>> {
  const failures: Array<{ leftover: Leftover; error: unknown }> = [];
  // In order: a policy still referenced by a locator cannot go first.
  for (const leftover of leftovers) {
    try {
      if (leftover.entitySet === 'Locators') await client.deleteLocator(leftover.id);
      else await client.deleteAccessPolicy(leftover.id);
    } catch (error) {
      failures.push({ leftover, error });
    }
  }
  return failures;
}

function blobUrlFor(locator: Locator): (name: string) => string {
  const { BaseUri, ContentAccessComponent } = locator;
  if (locator.Type !== LocatorType.Sas || !BaseUri || !ContentAccessComponent) {
    throw new AmsWorkflowError('bad-locator', `locator ${locator.Id} is not a usable SAS locator (Type ${locator.Type}, BaseUri ${JSON.stringify(BaseUri)}, ContentAccessComponent ${ContentAccessComponent === null ? 'null' : 'set'})`);
  }
  const base = BaseUri.replace(/\/+$/, '');
  const sas = ContentAccessComponent.startsWith('?') ? ContentAccessComponent : `?${ContentAccessComponent}`;
  return (name) => `${base}/${encodeURIComponent(name)}${sas}`;
}
