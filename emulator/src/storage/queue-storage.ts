import type { QueueServiceClient } from '@azure/storage-queue';
import { parseConnectionString, queueEndpointOf } from './connection-string.js';
import { toStorageError } from './storage-errors.js';
import { loadQueueSdk } from './sdk.js';
import { DEFAULT_STORAGE_PIPELINE_OPTIONS } from './storage-pipeline.js';

/**
 * The queue side of the storage account, for job notifications to AzureQueue endpoints: put one
 * message on a named queue, creating the queue on first use (the service delivered to a queue the
 * account owner had created; creating it keeps a test's first notification from being lost).
 */
export interface QueueStorage {
  /** undefined when the connection string names no queue service (an explicit BlobEndpoint only). */
  readonly queueEndpoint: string | undefined;
  /** Throws StorageUnavailableError or StorageRequestError, as the blob side does. */
  sendMessage(queue: string, text: string): Promise<void>;
}

export function createQueueStorage(connectionString: string): QueueStorage {
  const endpoint = queueEndpointOf(connectionString);
  if (endpoint === undefined) {
    return {
      queueEndpoint: undefined,
      sendMessage: () =>
        Promise.reject(new Error('the storage connection string names no queue service: add QueueEndpoint=<url> to --storage-connection-string to deliver to AzureQueue endpoints')),
    };
  }
  const { accountName, accountKey } = parseConnectionString(connectionString);
  // The SDK is loaded at the first notification to a queue (sdk.ts), not at start-up.
  let service: QueueServiceClient | undefined;
  const serviceClient = (): QueueServiceClient => {
    if (service === undefined) {
      const sdk = loadQueueSdk();
      service = new sdk.QueueServiceClient(endpoint, new sdk.StorageSharedKeyCredential(accountName, accountKey), {
        // One try per delivery attempt: the notification outbox retries with its own back-off.
        retryOptions: { maxTries: 1, tryTimeoutInMs: DEFAULT_STORAGE_PIPELINE_OPTIONS.requestTimeoutMs },
      });
    }
    return service;
  };
  const created = new Set<string>();
  return {
    queueEndpoint: endpoint,
    async sendMessage(queue, text) {
      const client = serviceClient().getQueueClient(queue);
      const context = { endpoint, requestTimeoutMs: DEFAULT_STORAGE_PIPELINE_OPTIONS.requestTimeoutMs };
      try {
        if (!created.has(queue)) {
          await client.createIfNotExists();
          created.add(queue);
        }
        await client.sendMessage(text);
      } catch (err) {
        // A queue deleted since it was created here is created again on the next try.
        created.delete(queue);
        throw toStorageError(err, context);
      }
    },
  };
}
