/**
 * A request the model will not carry out, said in the model's terms: what kind of refusal it is
 * and why. The HTTP layer maps the kind to a status and writes the message as an OData error in
 * the client's format (`http/error-handler.ts`); the model itself knows no wire.
 */
export type RefusalKind =
  /** The request is malformed or breaks an invariant (400). */
  | 'invalid'
  /** A well-formed id that names nothing (404). */
  | 'not-found'
  /** The entity exists and its state forbids the change (409). */
  | 'conflict'
  /** The operation does not apply to this resource (405). */
  | 'not-allowed'
  /** The service had it; the emulator does not (501). */
  | 'not-implemented';

export class Refusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
    /** The service's error code, where it sent one (mostly empty). */
    readonly code = '',
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

export const invalid = (message: string, code = ''): Refusal => new Refusal('invalid', message, code);
export const unknown = (message: string, code = ''): Refusal => new Refusal('not-found', message, code);
export const conflicting = (message: string, code = ''): Refusal => new Refusal('conflict', message, code);
export const notAllowed = (message: string): Refusal => new Refusal('not-allowed', message);
export const notEmulated = (message: string): Refusal => new Refusal('not-implemented', message, 'NotImplemented');
