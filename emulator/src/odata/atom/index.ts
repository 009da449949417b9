/** The Atom/XML wire format: request bodies in, response documents out. No HTTP here. */
export { readAtomEntry, readLinkUri, type AtomEntryBody, type AtomPropertyValue, type AtomReadOptions, type AtomTree } from './entry-reader.js';
export { writeAtomEntry, writeAtomFeed, type AtomWriteContext, type AtomEntryOptions, type AtomFeedOptions } from './entry-writer.js';
export { writeFunctionResult, writePropertyDocument, writeAtomError, writeLinksDocument, writeSingleLink, writeServiceDocument } from './documents.js';
export { ATOM_ENTRY_CONTENT_TYPE, ATOM_FEED_CONTENT_TYPE, XML_CONTENT_TYPE, ATOM_SERVICE_CONTENT_TYPE } from './content-types.js';
export { DEFAULT_XML_LIMITS, type XmlLimits } from './limits.js';
export { formatEdmValue, formatDouble, formatDateTime } from './edm-text.js';
