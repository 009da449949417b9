import type { HttpOperationResponse, Pipeline, RequestPolicy, RequestPolicyFactory, StorageSharedKeyCredential, WebResource } from '@azure/storage-blob';
import type { BlobSdk } from './sdk.js';

export interface StoragePipelineOptions {
  /** Longest a single try may wait for response headers (the body of a download is not limited). */
  requestTimeoutMs: number;
  /** Tries per operation, including the first. */
  maxTries: number;
}

export const DEFAULT_STORAGE_PIPELINE_OPTIONS: StoragePipelineOptions = {
  requestTimeoutMs: 5_000,
  maxTries: 3,
};

/**
 * The SDK's defaults (4 tries, 4 s doubling back-off, no client-side timeout) turn a stopped
 * Azurite into minutes of silence. This pipeline fails fast: a refused connection is retried twice
 * within ~0.2 s (enough to survive a keep-alive socket the server just closed), and a try that gets
 * no response headers within `requestTimeoutMs` is aborted. `retryOptions.tryTimeoutInMs` would not
 * do that: in this SDK it only sets the server-side `timeout=` query parameter.
 */
export function createStoragePipeline(sdk: BlobSdk, credential: StorageSharedKeyCredential, options: StoragePipelineOptions): Pipeline {
  const retrying = sdk.newPipeline(credential, {
    retryOptions: {
      retryPolicyType: sdk.StorageRetryPolicyType.EXPONENTIAL,
      maxTries: options.maxTries,
      retryDelayInMs: 200,
      maxRetryDelayInMs: 1_000,
    },
  });
  // Same options (typed as the narrower PipelineOptions, but carrying retryOptions), plus the
  // timeout; the SDK finds the credential among the factories.
  return new sdk.Pipeline([credential, new TryTimeoutPolicyFactory(options.requestTimeoutMs)], retrying.options);
}

/**
 * Sets the per-try timeout the Node HTTP client honours until response headers arrive. It sits
 * before the retry policy, so every retry of the same request inherits it.
 */
class TryTimeoutPolicyFactory implements RequestPolicyFactory {
  constructor(private readonly timeoutMs: number) {}

  create(nextPolicy: RequestPolicy): RequestPolicy {
    const timeoutMs = this.timeoutMs;
    return {
      sendRequest(request: WebResource): Promise<HttpOperationResponse> {
        request.timeout = timeoutMs;
        return nextPolicy.sendRequest(request);
      },
    };
  }
}
