import { entityPath, type AmsClient } from '../../../client/src/index.js';

type Tracked = 'Locators' | 'AccessPolicies' | 'Jobs' | 'Assets' | 'ContentKeys';

/** Deletion order: what refers to something goes before it. */
const ORDER: readonly Tracked[] = ['Locators', 'AccessPolicies', 'Jobs', 'Assets', 'ContentKeys'];

/**
 * What the kit created on the target, deleted again when a property run ends, so a conformance run
 * leaves a shared server as it found it (a SAS locator is also a live credential). Deletion is best
 * effort: a failure to clean up is not a conformance failure.
 */
export class Resources {
  private readonly created: Array<{ set: Tracked; id: string }> = [];

  constructor(private readonly client: AmsClient) {}

  track(set: Tracked, id: string): void {
    this.created.push({ set, id });
  }

  async cleanup(): Promise<void> {
    const items = this.created.splice(0);
    for (const set of ORDER) {
      for (const { id } of items.filter((item) => item.set === set).reverse()) {
        await this.remove(set, id).catch(() => undefined);
      }
    }
  }

  private remove(set: Tracked, id: string): Promise<void> {
    switch (set) {
      case 'Locators':
        return this.client.deleteLocator(id);
      case 'AccessPolicies':
        return this.client.deleteAccessPolicy(id);
      case 'Jobs':
        return this.client.connection.noContent({ method: 'DELETE', path: entityPath('Jobs', id) });
      case 'Assets':
        return this.client.deleteAsset(id);
      case 'ContentKeys':
        return this.client.deleteContentKey(id);
    }
  }
}

/** Run `body` with a fresh tracker and clean up after it, whatever happened. */
export async function withResources<T>(client: AmsClient, body: (resources: Resources) => Promise<T>): Promise<T> {
  const resources = new Resources(client);
  try {
    return await body(resources);
  } finally {
    await resources.cleanup();
  }
}
