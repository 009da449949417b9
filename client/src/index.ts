/**
 * The reference client for the AMS v2 storage-encryption workflow: a typed REST client for any
 * AMS v2 endpoint, the encrypted upload and download workflows, and the crypto library they use.
 */
export * from './rest/index.js';
export * from './workflows/index.js';
export * from './crypto/index.js';
