import { AmsClient, certificateThumbprint, ContentKeyType, normalizeBaseUri, type TokenSource, type WireFormat } from '../../../client/src/index.js';
import { amsAuthOf, kitTokenSource, type KitCredentials } from './auth.js';
import { EmulatorExtras } from './extras.js';
import { RawApi } from './http.js';

/** Compat: accepts what the real service accepted and (maybe) records findings. Strict: refuses it. */
export type TargetMode = 'compat' | 'strict';

export interface ProtectionCertificateInfo {
  thumbprint: string;
  /** base64 DER, as GetProtectionKey returns it. */
  base64Der: string;
}

/**
 * The AMS v2 endpoint under test: typed clients in both JSON dialects, raw HTTP for protocol
 * checks, and the emulator extras when the endpoint has them. Nothing here assumes the endpoint is
 * the emulator.
 */
export class Target {
  readonly endpoint: string;
  readonly raw: RawApi;
  private readonly clients = new Map<WireFormat, AmsClient>();
  private protection: ProtectionCertificateInfo | undefined;

  constructor(
    endpoint: string,
    private readonly credentials: KitCredentials,
    readonly extras: EmulatorExtras | undefined,
    private readonly tokens: TokenSource = kitTokenSource(credentials),
  ) {
    this.endpoint = normalizeBaseUri(endpoint);
    this.raw = new RawApi(this.endpoint, tokens);
  }

  /** The reference client, in minimal JSON (default) or verbose JSON. */
  client(format: WireFormat = 'json'): AmsClient {
    let client = this.clients.get(format);
    if (!client) {
      // Two attempts: a conformance failure should show what the server said, not hide it behind retries.
      client = new AmsClient({ endpoint: this.endpoint, auth: amsAuthOf(this.credentials), format, retry: { maxAttempts: 2, baseDelayMs: 200 }, userAgent: 'ams-conformance' });
      this.clients.set(format, client);
    }
    return client;
  }

  /** A bearer token for this endpoint (what a spawned client would be given). */
  token(): Promise<string> {
    return this.tokens.getToken();
  }

  /** The protection certificate for storage keys, checked against the thumbprint that names it. */
  async protectionCertificate(): Promise<ProtectionCertificateInfo> {
    if (this.protection) return this.protection;
    const client = this.client();
    const thumbprint = await client.getProtectionKeyId(ContentKeyType.StorageEncryption);
    const base64Der = await client.getProtectionKey(thumbprint);
    const actual = certificateThumbprint(base64Der);
    if (actual !== thumbprint.toUpperCase()) {
      throw new Error(`GetProtectionKey('${thumbprint}') returned a certificate whose SHA-1 thumbprint is ${actual}`);
    }
    this.protection = { thumbprint, base64Der };
    return this.protection;
  }
}
