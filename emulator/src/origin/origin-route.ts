import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response, type Router } from 'express';
import { ClearContentError, openClearStream, resolveClearSource, type ClearSource } from '../content/clear-stream.js';
import { GUID, Locator } from '../odata/edm.js';
import { readAndDropBody } from '../express/read-body.js';
import { passMethodGate, sendPlainError, PlainServiceError as OriginError } from '../express/plain-service.js';
import { getAsset } from '../model/asset.js';
import { filesOfAsset, type AssetFileRecord } from '../model/asset-file.js';
import { LocatorType } from '../model/enums.js';
import { canonicalId } from '../model/ids.js';
import { getLocator } from '../model/locator.js';
import type { Services } from '../app/services.js';
import { blobNameEscape } from '../storage/blob-names.js';
import { StorageRequestError, StorageUnavailableError } from '../storage/types.js';
import { contentTypeOfFile } from './content-type.js';
import { contentRange, decideRange, unsatisfiedRange } from './range.js';
import { crossSitePolicy, endpointRefusal, originAddress } from './streaming-gate.js';

/**
 * Origin delivery for OnDemandOrigin locators (Type 2): `GET <Path><file name>`, i.e.
 * `/origin/<locator guid>/<file name>`, returns the file's clear bytes, decrypted on the fly from
 * storage, with single byte ranges so a player can seek. The file name is looked up among the
 * asset's file entities; it never reaches a file system. Answers are plain HTTP with small JSON
 * error bodies, not OData.
 */
export interface OriginOptions {
  /** Unexpected failures (bugs), never client mistakes. */
  log(message: string, err: unknown): void;
}

/** Origin requests carry no body; one is read and dropped up to this, so the answer is not cut off. */
const BODY_LIMIT = '64kb';

export function originRouter(services: Services, options: OriginOptions): Router {
  const router = express.Router();
  router.use((req, res) => {
    void serve(services, req, res).catch((err: unknown) => {
      const known = toOriginError(err);
      if (!known) options.log(`origin delivery failed for ${req.method} ${req.originalUrl.slice(0, 200)}`, err);
      fail(req, res, known ?? new OriginError(500, 'InternalError', 'The emulator failed to serve the file; this is a bug in the emulator, please report it'));
    });
  });
  return router;
}

async function serve(services: Services, req: Request, res: Response): Promise<void> {
  setCors(res);
  await readAndDropBody(req, res, BODY_LIMIT).catch((err: unknown) => {
    const status = (err as { status?: unknown }).status;
    throw status === 413
      ? new OriginError(413, 'PayloadTooLarge', `Origin delivery takes no request body; this one is over ${BODY_LIMIT}`)
      : new OriginError(400, 'BadRequest', `The request body cannot be read: ${(err as Error).message}`);
  });
  const gate = { methods: ['GET', 'HEAD'], requestHeaders: 'Range, If-Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since', hint: 'origin delivery is read-only (GET, HEAD)' };
  if (!passMethodGate(req, res, gate)) return;
  const address = originAddress(collapseEmptySegments(req.path));
  const refusal = endpointRefusal(services.store, address);
  if (refusal) throw new OriginError(refusal.status, refusal.code, refusal.message);
  const policy = crossSitePolicy(services.store, address);
  if (policy !== undefined) {
    if (policy === null) throw new OriginError(404, 'NoCrossSitePolicy', `The StreamingEndpoint has no ${address.rest.slice(1)}: set its CrossSiteAccessPolicies`);
    sendDocument(req, res, policy);
    return;
  }
  const { locatorGuid, name } = splitPath(address.rest);
  const file = findFile(services, locatorGuid, name);
  const source = await resolveClearSource(services, file);
  const size = source.blob.size;
  const etag = clearEtag(source);
  const lastModified = source.blob.lastModified?.toUTCString();
  const decision = ifRangeHolds(req.get('if-range'), etag, lastModified) ? decideRange(req.get('range'), size) : { kind: 'full' as const };

  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (lastModified) res.setHeader('Last-Modified', lastModified);
  if (etag) res.setHeader('ETag', etag);
  const failed = failedPrecondition(req, etag, lastModified);
  if (failed) throw new OriginError(412, 'PreconditionFailed', failed);
  if (notModified(req, etag, lastModified)) {
    res.status(304).end();
    return;
  }
  if (decision.kind === 'unsatisfiable') {
    throw new OriginError(416, 'RangeNotSatisfiable', `The range ${JSON.stringify(String(req.get('range')).slice(0, 100))} selects no byte of this ${size}-byte file`, { 'Content-Range': unsatisfiedRange(size) });
  }
  const start = decision.kind === 'partial' ? decision.start : 0;
  const length = decision.kind === 'partial' ? decision.end - decision.start + 1 : size;
  res.status(decision.kind === 'partial' ? 206 : 200);
  if (decision.kind === 'partial') res.setHeader('Content-Range', contentRange(decision.start, decision.end, size));
  res.setHeader('Content-Type', contentTypeOfFile(file));
  res.setHeader('Content-Length', String(length));
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  await sendClear(services, source, start, length, res);
}

/**
 * A strong ETag of the clear bytes served: they change when the blob does (storage's ETag) and
 * when the key or IV they are decrypted with does, so all three go in. None without storage's.
 */
function clearEtag(source: ClearSource): string | undefined {
  if (!source.blob.etag) return undefined;
  const identity = [source.blob.etag, source.encryption?.keyId ?? '', source.encryption?.iv.toString() ?? ''].join('\n');
  return `"${createHash('sha256').update(identity).digest('hex').slice(0, 32)}"`;
}

/**
 * Whether a Range applies (RFC 9110 §13.1.5): always without If-Range; with one, only if it names
 * the current representation: its strong ETag (a weak tag never matches) or its exact
 * Last-Modified date. Otherwise the whole file is sent, so a resumed download never splices two
 * versions.
 */
function ifRangeHolds(ifRange: string | undefined, etag: string | undefined, lastModified: string | undefined): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return etag !== undefined && value === etag;
  const date = Date.parse(value);
  return lastModified !== undefined && !Number.isNaN(date) && date === Date.parse(lastModified);
}

/**
 * If-Match / If-Unmodified-Since (RFC 9110 §13.1.1, §13.1.4, evaluated first, §13.2.2): a client
 * resuming a download asks for the bytes of the version it started with; another version is a 412,
 * never a splice. If-Match compares strongly (`*` matches any); If-Unmodified-Since counts only
 * without If-Match and with a date to compare. Returns why the precondition failed, or undefined.
 */
function failedPrecondition(req: Request, etag: string | undefined, lastModified: string | undefined): string | undefined {
  const match = req.get('if-match');
  if (match !== undefined) {
    const tags = match.split(',').map((tag) => tag.trim());
    if (tags.includes('*') || (etag !== undefined && tags.includes(etag))) return undefined;
    return `If-Match ${JSON.stringify(match.slice(0, 200))} does not name the file's current ETag ${etag ?? '(none)'}: it changed since`;
  }
  const since = req.get('if-unmodified-since');
  if (since === undefined || lastModified === undefined) return undefined;
  const sinceTime = Date.parse(since);
  if (Number.isNaN(sinceTime) || Date.parse(lastModified) <= sinceTime) return undefined;
  return `The file was modified at ${lastModified}, after If-Unmodified-Since ${since.slice(0, 100)}`;
}

/**
 * A cached copy is still the file (RFC 9110 §13.1.2, §13.1.3): If-None-Match names the current
 * ETag (weak comparison, `*` matches any), or, without If-None-Match, If-Modified-Since is not
 * before Last-Modified. The player then keeps what it has: 304, no body.
 */
function notModified(req: Request, etag: string | undefined, lastModified: string | undefined): boolean {
  const noneMatch = req.get('if-none-match');
  if (noneMatch !== undefined) {
    if (etag === undefined) return false;
    const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
    return noneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
  }
  const since = req.get('if-modified-since');
  if (since === undefined || lastModified === undefined) return false;
  const sinceTime = Date.parse(since);
  return !Number.isNaN(sinceTime) && Date.parse(lastModified) <= sinceTime;
}

/**
 * Clients build file URLs as `Path + name` and as `Path + '/' + name` (Path ends with '/'), so
 * empty segments are dropped: `//` is read as `/`. Only literal slashes are collapsed, before
 * decoding; this never makes a `.` or `..` segment that was not there.
 */
function collapseEmptySegments(path: string): string {
  return path.replace(/\/{2,}/g, '/');
}

/** `/<guid>/<name>` below /origin; the name percent-decoded once (it may contain '/'). */
function splitPath(path: string): { locatorGuid: string; name: string } {
  const m = /^\/([^/]+)\/(.+)$/.exec(path);
  if (!m) throw new OriginError(404, 'NotFound', 'Nothing is served here: request <locator Path><file name>, i.e. /origin/<locator guid>/<file name>');
  let locatorGuid: string;
  let name: string;
  try {
    locatorGuid = decodeURIComponent(m[1]!);
    name = decodeURIComponent(m[2]!);
  } catch {
    throw new OriginError(400, 'BadRequest', 'The path is not valid percent-encoding');
  }
  // No file can have such a name; say why rather than look it up.
  const escape = blobNameEscape(name);
  if (escape !== undefined) throw new OriginError(400, 'InvalidFileName', `The file name ${JSON.stringify(name.slice(0, 260))} cannot name a file of the asset: ${escape}`);
  return { locatorGuid, name };
}

/** The file `name` of the asset of a current OnDemandOrigin locator; 404 with the reason otherwise. */
function findFile(services: Services, locatorGuid: string, name: string): AssetFileRecord {
  const locator = GUID.test(locatorGuid) ? getLocator(services.store, canonicalId(Locator, `nb:lid:UUID:${locatorGuid}`)) : undefined;
  if (!locator || locator.Type !== LocatorType.OnDemandOrigin) {
    throw new OriginError(404, 'LocatorNotFound', `No OnDemandOrigin locator has the id ${JSON.stringify(locatorGuid.slice(0, 60))}: create one (Type 2) with a read-only access policy`);
  }
  const now = Date.now();
  const start = typeof locator.StartTime === 'string' ? Date.parse(locator.StartTime) : Number.NaN;
  if (start > now) throw new OriginError(404, 'LocatorNotStarted', `The locator ${locator.Id} starts at ${String(locator.StartTime)}`);
  const expires = typeof locator.ExpirationDateTime === 'string' ? Date.parse(locator.ExpirationDateTime) : Number.NaN;
  if (expires <= now) throw new OriginError(404, 'LocatorExpired', `The locator ${locator.Id} expired at ${String(locator.ExpirationDateTime)}`);
  const assetId = locator.AssetId;
  if (!getAsset(services.store, assetId)) throw new OriginError(404, 'AssetNotFound', `The locator's asset ${assetId} no longer exists`);
  const file = filesOfAsset(services.store, assetId).find((f) => f.Name === name);
  if (!file) throw new OriginError(404, 'FileNotFound', `The asset ${assetId} has no file named ${JSON.stringify(name.slice(0, 260))}`);
  return file;
}

function sendDocument(req: Request, res: Response, xml: string): void {
  const body = Buffer.from(xml, 'utf8');
  res.status(200);
  res.setHeader('Content-Type', 'text/xml; charset=utf-8');
  res.setHeader('Content-Length', String(body.length));
  res.end(req.method === 'HEAD' ? undefined : body);
}

async function sendClear(services: Services, source: ClearSource, start: number, length: number, res: Response): Promise<void> {
  const stream = await openClearStream(services, source, start, length);
  // A client that goes away mid-body ends the read from storage too (pipeline destroys both).
  await pipeline(stream, res).catch((err: unknown) => {
    if (res.destroyed && !res.writableFinished) return;
    throw err;
  });
}

function toOriginError(err: unknown): OriginError | undefined {
  if (err instanceof OriginError) return err;
  if (err instanceof ClearContentError) {
    if (err.code === 'NoBlob' || err.code === 'NoAsset') return new OriginError(404, err.code, `The file has no content to serve: ${err.message}`);
    // The asset's stored state (key, IV, scheme) does not allow decrypting it: not this request's fault.
    return new OriginError(409, err.code, `The file cannot be decrypted: ${err.message}`);
  }
  if (err instanceof StorageUnavailableError) return new OriginError(503, 'StorageUnavailable', `Storage is unavailable: ${err.message}. Retry when it is back.`, { 'Retry-After': '5' });
  if (err instanceof StorageRequestError) {
    if (err.statusCode === 404) return new OriginError(404, 'NoBlob', `The file's blob is gone from storage: ${err.message}`);
    return new OriginError(502, 'StorageError', `Storage refused the read: ${err.message}`);
  }
  return undefined;
}

/** An error instead of the file: the file's headers set so far go, CORS stays (a browser player reads the error too). */
function fail(req: Request, res: Response, error: OriginError): void {
  if (!res.headersSent) {
    setCors(res);
    for (const name of ['Content-Range', 'Content-Type', 'Content-Length', 'Accept-Ranges', 'Last-Modified', 'ETag']) res.removeHeader(name);
  }
  sendPlainError(req, res, error);
}

function setCors(res: Response): void {
  // Browser players fetch from the origin cross-site and need Content-Range to seek.
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Content-Range, Content-Length, Accept-Ranges, Content-Type, ETag, Last-Modified');
}
