/**
 * A refusal the client caused or can act on. The HTTP layer turns it into an OData error body in
 * the format the client asked for (`odata.error` minimal, `error` verbose, Atom `<error>`), with
 * this status. Anything thrown that is not an ODataError is a bug and becomes a 500.
 */
export class ODataError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** OData `code`; the service mostly sent an empty string. */
    readonly code = '',
    /** Extra response headers (e.g. `Retry-After` on 503, `WWW-Authenticate` on 401). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ODataError';
  }
}

export const badRequest = (message: string, code = ''): ODataError => new ODataError(400, message, code);
export const notFound = (message: string, code = ''): ODataError => new ODataError(404, message, code);
export const conflict = (message: string, code = ''): ODataError => new ODataError(409, message, code);
export const methodNotAllowed = (message: string): ODataError => new ODataError(405, message);
export const payloadTooLarge = (message: string): ODataError => new ODataError(413, message);
export const unsupportedMediaType = (message: string): ODataError => new ODataError(415, message);
export const notImplemented = (message: string): ODataError => new ODataError(501, message, 'NotImplemented');
export const serviceUnavailable = (message: string, retryAfterSeconds = 5): ODataError =>
  new ODataError(503, message, 'ServiceUnavailable', { 'Retry-After': String(retryAfterSeconds) });
