/**
 * Response Content-Types the service sent with Atom/XML bodies (setting them is the HTTP layer's job).
 * Captured .NET SDK traffic shows exactly these spellings.
 */
export const ATOM_ENTRY_CONTENT_TYPE = 'application/atom+xml;type=entry;charset=utf-8';
export const ATOM_FEED_CONTENT_TYPE = 'application/atom+xml;type=feed;charset=utf-8';
/** Function results, `$links` documents, errors and `$metadata`. */
export const XML_CONTENT_TYPE = 'application/xml;charset=utf-8';
/** The AtomPub service document (`GET /api/` with an Atom/XML Accept). */
export const ATOM_SERVICE_CONTENT_TYPE = 'application/atomsvc+xml;charset=utf-8';
