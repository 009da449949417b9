/**
 * One error type for every refusal of the crypto library, so callers (the emulator's OData layer,
 * the CLI) can tell a caller's bad input from a bug and show `message` as it is.
 */
export class CryptoInputError extends Error {
  /** A stable, machine-readable reason, e.g. `iv-hex`, `key-length`, `oaep-sha256`. */
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = 'CryptoInputError';
    this.reason = reason;
  }
}
