import { AnonymousCredential, BlockBlobClient } from '@azure/storage-blob';

/**
 * A block blob reached through a SAS URL, as every AMS v2 client reaches storage. One retry only:
 * the kit checks the server, so a storage failure should surface rather than be retried away.
 */
export class SasBlockBlob {
  private readonly blob: BlockBlobClient;

  constructor(url: string) {
    this.blob = new BlockBlobClient(url, new AnonymousCredential(), { retryOptions: { maxTries: 2 }, keepAliveOptions: { enable: false } });
  }

  async stageBlock(id: string, data: Buffer): Promise<void> {
    await this.blob.stageBlock(id, data, data.length);
  }

  async commit(ids: readonly string[]): Promise<void> {
    await this.blob.commitBlockList([...ids], { blobHTTPHeaders: { blobContentType: 'application/octet-stream' } });
  }
}
