import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { StrictRefusal } from '../domain/deviations.js';
import type { RequestInfo } from '../domain/findings.js';
import { readLinkBody } from '../odata/body.js';
import { badRequest, notFound, ODataError } from '../odata/errors.js';
import { bodyFormat, negotiateFormat, type WireFormat } from '../odata/format.js';
import { decodePath, parseODataPath, pathBelowServiceRoot, resolveEntityReference, type ResourcePath } from '../odata/uri.js';
import { entityTypeOfSet, FUNCTIONS, Job, navigationOf, type EntityTypeDef } from '../odata/edm.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult, HttpMethod } from '../resources/context.js';
import type { JsonRecord } from '../store/types.js';
import type { ApiRouter } from '../resources/router.js';
import { header, writeHttpResponse, writeMultipart, type HeaderList, type MimePart } from './batch-multipart.js';
import { foldInline } from './batch-inline.js';
import { planUndo, type UndoLeft } from './batch-undo.js';
import { parseBatchRequest, DEFAULT_BATCH_LIMITS, effectiveVerb, type BatchLimits, type BatchOperation } from './batch-request.js';
import { toODataError, type ErrorLogger } from './error-handler.js';
import { recordRefusal } from './strict-refusal.js';
import { renderError, renderResult, type Rendered, type ResponseContext } from './respond.js';

/**
 * `POST /api/$batch` (OData v3): the .NET, Java and PHP SDKs create a Job and its Tasks this way,
 * the Tasks posted to `$1/Tasks` where `$1` is the job's Content-ID. Every operation goes through
 * the same router as a request of its own; each is answered with its own status, headers and body
 * inside a multipart/mixed response (202).
 *
 * A changeset runs in order and stops at its first failure; what its earlier operations did is
 * then undone, in reverse: creates (entities, $links) deleted again, updates and store-only
 * deletes put back as they were (batch-undo.ts), so the changeset is as atomic as the emulator
 * can make it (an asset's delete, which removes its container, and a SAS locator's cannot be
 * undone; what belonged to such an asset is then not put back either, see batch-undo.ts, and
 * whatever was not undone is named in an `x-ms-emulator-undo` header on the failure, and an
 * undo that failed in the error log too), and the changeset is answered with that one failure, as WCF Data Services did. A change outside any changeset is a changeset of
 * its own. What strict mode refuses in an operation is recorded as findings, as for a request. `$<Content-ID>` resolves across the whole batch, which is more than OData v3 requires.
 */

export interface BatchContext {
  services: Services;
  /** The emulator's router: every operation goes through it as a request of its own. */
  router: ApiRouter;
  /** Service root of the `$batch` request itself (follows its Host); operations' hosts are ignored. */
  serviceRoot: string;
  baseUrl: string;
  info: RequestInfo;
  /** Headers of the `$batch` request: operations without their own Accept or MaxDataServiceVersion use these. */
  outerHeader(name: string): string | undefined;
  /** Resolve a verb and its `X-HTTP-Method` tunnel as the API handler does (405/400 otherwise). */
  resolveMethod(method: string, tunnel: string | undefined): HttpMethod;
  logError: ErrorLogger;
  limits?: BatchLimits;
  /** Date.now() past which the batch stops and answers 503: the request timeout covers it whole. */
  deadline?: number;
}

export async function executeBatch(ctx: BatchContext, body: Buffer, contentType: string | undefined): Promise<Rendered> {
  const items = parseBatchRequest(body, contentType, ctx.limits ?? DEFAULT_BATCH_LIMITS);
  const run = new BatchRun(ctx);
  const parts: MimePart[] = [];
  for (const item of items) {
    await checkDeadline(ctx);
    if (item.kind === 'operation') {
      const outcome = await run.operation(item.operation);
      parts.push(httpPart(outcome.rendered));
    } else {
      const responses = await run.changeset(item.operations);
      const boundary = `changesetresponse_${randomUUID()}`;
      parts.push({ headers: [['Content-Type', `multipart/mixed; boundary=${boundary}`]], body: writeMultipart(boundary, responses.map(httpPart)) });
    }
  }
  const boundary = `batchresponse_${randomUUID()}`;
  // The outermost body ends with CRLF after its close delimiter, as WCF Data Services' did.
  const responseBody = Buffer.concat([writeMultipart(boundary, parts), Buffer.from('\r\n', 'latin1')]);
  return {
    status: 202,
    headers: { 'Content-Type': `multipart/mixed; boundary=${boundary}`, DataServiceVersion: '1.0;', 'Content-Length': String(responseBody.length) },
    body: responseBody,
  };
}

/**
 * Between parts: let other requests (and the request timeout's timer) run, since a part's work is
 * synchronous and a batch of them would otherwise hold the event loop to the end; then stop if the
 * batch is past its deadline. A changeset is never cut in the middle.
 */
async function checkDeadline(ctx: BatchContext): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (ctx.deadline !== undefined && Date.now() > ctx.deadline) {
    const ms = ctx.services.config.limits.requestTimeoutMs;
    throw new ODataError(503, `The $batch did not complete within ${ms} ms (the emulator's request timeout covers a batch as a whole); send fewer or cheaper operations, or retry`, 'ServiceUnavailable', { 'Retry-After': '1' });
  }
}

interface Outcome {
  rendered: Rendered;
  /** The entity the operation created (201), for the children folded into it. */
  created?: { type: EntityTypeDef; record: JsonRecord };
  /**
   * Undoes what the operation did, when a later operation of its changeset fails; resolves with
   * what could not be undone (undefined when all was).
   */
  undo?: () => Promise<UndoLeft | undefined>;
}

/** One batch's execution: the Content-IDs seen so far resolve `$<id>` in later operations. */
class BatchRun {
  private readonly created = new Map<string, { type: EntityTypeDef; key: string }>();
  /**
   * Bytes the batch's queries have answered so far: together they share one response's limit.
   * Changes are not counted; what they answer is bounded by the request body that made them.
   */
  private queried = 0;

  constructor(private readonly ctx: BatchContext) {}

  /**
   * Operations in order; at the first failure, what the earlier ones created is deleted again and
   * the changeset is answered with that failure alone. `POST $n/<Nav>` operations that refer to a
   * create of the same changeset are folded into it (see batch-inline.ts) and answered with the
   * entities it created for them.
   */
  async changeset(operations: readonly BatchOperation[]): Promise<Rendered[]> {
    const folded = this.foldedChildren(operations);
    const children = new Set([...folded.values()].flatMap((f) => f.children));
    const responses = new Map<BatchOperation, Rendered>();
    const done: Outcome[] = [];
    const fail = async (rendered: Rendered): Promise<Rendered[]> => {
      const notUndone: UndoLeft[] = [];
      for (const previous of done.reverse()) {
        const left = await previous.undo?.().catch((err: unknown): UndoLeft => ({ message: `undo failed: ${err instanceof Error ? err.message : String(err)}`, failed: true }));
        if (left !== undefined) notUndone.push(left);
      }
      if (notUndone.length === 0) return [rendered];
      // Never silent: the client learns what the changeset left behind, and the log what failed.
      const summary = notUndone.map((left) => left.message).join('; ').replace(/[\r\n]+/g, ' ').slice(0, 2000);
      const failures = notUndone.filter((left) => left.failed);
      if (failures.length > 0) {
        this.ctx.logError(`$batch changeset failed and could not be fully undone (request ${this.ctx.info.requestId})`, new Error(failures.map((left) => left.message).join('; ')));
      }
      return [{ ...rendered, headers: { ...rendered.headers, 'x-ms-emulator-undo': `incomplete: ${summary}` } }];
    };
    for (const operation of operations) {
      if (children.has(operation)) continue;
      const fold = folded.get(operation);
      const outcome = fold ? await this.withChildren(operation, fold.navigation, fold.children) : { parent: await this.operation(operation), children: [] };
      if (outcome.parent.rendered.status >= 400) return fail(outcome.parent.rendered);
      done.push(outcome.parent);
      responses.set(operation, outcome.parent.rendered);
      for (const [child, rendered] of outcome.children) {
        if (rendered.status >= 400) return fail(rendered);
        responses.set(child, rendered);
      }
    }
    return operations.map((o) => responses.get(o)!);
  }

  async operation(operation: BatchOperation): Promise<Outcome> {
    const format = this.formatOf(operation);
    try {
      const { request, preferNoContent } = this.apiRequest(operation);
      const undoPlan = planUndo(this.ctx.services, request);
      const result = await this.ctx.router.route(request, this.ctx.services);
      undoPlan?.settle(result);
      const query = request.method === 'GET' || request.method === 'HEAD';
      const limit = this.ctx.services.config.limits.maxResponseBytes;
      const rendered = renderResult({ ...this.renderContext(operation, format, preferNoContent, request.method === 'HEAD'), maxResponseBytes: query ? limit - this.queried : Infinity, sharedResponseBytes: limit }, result);
      if (query) this.queried += rendered.body?.length ?? 0;
      const created = result.kind === 'entity' && result.status === 201 ? { type: result.type, record: result.record } : undefined;
      // A create is undone by deleting what it made, unless the store can put back all it changed.
      const deleteAgain = this.remember(operation, request, result);
      return { rendered: withContentId(rendered, operation), created, undo: undoPlan ? () => undoPlan.undo() : deleteAgain };
    } catch (err) {
      if (err instanceof StrictRefusal) await recordRefusal(this.ctx.services, this.infoOf(operation), err);
      return { rendered: withContentId(this.errorOf(err, format, operation), operation) };
    }
  }

  /** The operation as findings name it: the batch's request id and client, the operation's method and target. */
  private infoOf(operation: BatchOperation): RequestInfo {
    return { ...this.ctx.info, method: operation.method, path: operation.url.slice(0, 500) };
  }

  /**
   * The later `POST $<id>/<Nav>` operations of a changeset that name a `POST` earlier in it (by
   * its Content-ID), by that parent operation.
   */
  private foldedChildren(operations: readonly BatchOperation[]): Map<BatchOperation, { navigation: string; children: BatchOperation[] }> {
    const folded = new Map<BatchOperation, { navigation: string; children: BatchOperation[] }>();
    const posts = new Map<string, BatchOperation>();
    for (const operation of operations) {
      if (effectiveVerb(operation) !== 'POST') continue;
      const target = relativeTarget(operation.url);
      const m = target === undefined ? null : /^\$([^/]+)\/([A-Za-z_][A-Za-z0-9_]*)\/?$/.exec(target);
      const parent = m ? posts.get(m[1]!) : undefined;
      if (m && parent) {
        const fold = folded.get(parent) ?? { navigation: m[2]!, children: [] };
        if (fold.navigation === m[2]) {
          fold.children.push(operation);
          folded.set(parent, fold);
          continue;
        }
      }
      if (operation.contentId !== undefined) posts.set(operation.contentId, operation);
    }
    return folded;
  }

  /** Run `parent` with its children's bodies inline; answer each child with the entity created for it. */
  private async withChildren(parent: BatchOperation, navigation: string, children: readonly BatchOperation[]): Promise<{ parent: Outcome; children: [BatchOperation, Rendered][] }> {
    let body: Buffer;
    try {
      body = foldInline(
        parent.body,
        header(parent.headers, 'content-type'),
        navigation,
        children.map((c) => ({ body: c.body, contentType: header(c.headers, 'content-type'), index: c.index })),
        this.ctx.services.config.limits.maxBodyDepth,
      );
    } catch (err) {
      return { parent: { rendered: withContentId(this.errorOf(err, this.formatOf(parent), parent), parent) }, children: [] };
    }
    const outcome = await this.operation({ ...parent, body });
    if (!outcome.created) return { parent: outcome, children: [] };
    const { type, record } = outcome.created;
    const nav = navigationOf(type, navigation);
    const resolver = nav && this.ctx.router.navigation(type, nav);
    const related = resolver ? resolver(this.ctx.services.store, record, this.ctx.services) : [];
    const target = nav && entityTypeOfSet(nav.target);
    const made = related.slice(related.length - children.length);
    const answers = children.map((child, i): [BatchOperation, Rendered] => {
      const entity = made[i];
      if (!target || !entity || made.length !== children.length) {
        return [child, withContentId(renderError(this.formatOf(child), 400, '', `Operation ${child.index}: ${type.set} did not create the ${navigation} posted to it in this changeset`), child)];
      }
      if (child.contentId !== undefined) this.created.set(child.contentId, { type: target, key: String(entity[target.key]) });
      const rendered = renderResult(this.renderContext(child, this.formatOf(child), false, false), { kind: 'entity', type: target, record: entity, status: 201 });
      return [child, withContentId(rendered, child)];
    });
    return { parent: outcome, children: answers };
  }

  private renderContext(operation: BatchOperation, format: WireFormat, preferNoContent: boolean, head: boolean): ResponseContext {
    return {
      format,
      serviceRoot: this.ctx.serviceRoot,
      maxDataServiceVersion: maxDataServiceVersion(header(operation.headers, 'maxdataserviceversion') ?? this.ctx.outerHeader('maxdataserviceversion')),
      preferNoContent,
      head,
      maxResponseBytes: this.ctx.services.config.limits.maxResponseBytes,
    };
  }

  private apiRequest(operation: BatchOperation): { request: ApiRequest; preferNoContent: boolean } {
    const { path: rawPath, query } = splitTarget(operation.url);
    const below = pathBelowServiceRoot(decodePath(rawPath));
    if (below === undefined) throw notFound(`Operation ${operation.index}: nothing is served at ${clip(rawPath)}; the Media Services API is under /api/`);
    const path = parseODataPath(this.resolveContentIds(below, operation));
    if (path.kind === 'batch') throw badRequest(`Operation ${operation.index}: a $batch cannot contain another $batch`);
    const method = this.ctx.resolveMethod(operation.method, header(operation.headers, 'x-http-method'));
    const request: ApiRequest = {
      method,
      path,
      rawQuery: query,
      body: operation.body,
      contentType: header(operation.headers, 'content-type'),
      serviceRoot: this.ctx.serviceRoot,
      baseUrl: this.ctx.baseUrl,
      info: this.infoOf(operation),
    };
    return { request, preferNoContent: /return-no-content/i.test(header(operation.headers, 'prefer') ?? '') };
  }

  /** `$1/Tasks` -> `Jobs('nb:jid:UUID:..')/Tasks`: a leading `$<Content-ID>` names an entity an earlier operation created. */
  private resolveContentIds(below: string, operation: BatchOperation): string {
    const slash = below.indexOf('/');
    const first = slash < 0 ? below : below.slice(0, slash);
    if (!first.startsWith('$')) return below;
    const target = this.created.get(first.slice(1));
    if (!target) {
      if (/^\$\d+$/.test(first)) throw badRequest(`Operation ${operation.index}: ${first} does not name an entity created by an earlier operation of this batch (its Content-ID)`);
      return below;
    }
    return `${target.type.set}('${target.key.replace(/'/g, "''")}')${slash < 0 ? '' : below.slice(slash)}`;
  }

  /** Keep the Content-ID of a created entity, and say how to undo a create or a $links POST. */
  private remember(operation: BatchOperation, request: ApiRequest, result: ApiResult): (() => Promise<UndoLeft | undefined>) | undefined {
    if (result.kind === 'entity' && result.status === 201) {
      const type = result.type;
      const key = String(result.record[type.key]);
      if (operation.contentId !== undefined) this.created.set(operation.contentId, { type, key });
      const what = `delete of the ${type.name} '${key}' it created`;
      // A job may already be Scheduled or running, and only a final job can be deleted.
      if (type === Job) return async () => bothLeft(await this.cancelJob(key, request), await this.undo({ kind: 'entity', type, key, rawValue: false }, request, what));
      return () => this.undo({ kind: 'entity', type, key, rawValue: false }, request, what);
    }
    if (request.path.kind === 'links' && request.method === 'POST' && result.kind === 'noContent') {
      const { type, key, nav } = request.path;
      const limits = { maxDepth: this.ctx.services.config.limits.maxBodyDepth };
      return () => this.undo({ kind: 'links', type, key, nav, targetKey: resolveEntityReference(readLinkBody(request.body, request.contentType, limits)).key }, request, `removal of the ${nav} link it made on ${type.set}('${key}')`);
    }
    return undefined;
  }

  /**
   * Cancel a job the changeset created, so that it can be deleted. A job that is final already
   * (400) or gone (404) is the delete's to report; any other failure is said here.
   */
  private async cancelJob(key: string, original: ApiRequest): Promise<UndoLeft | undefined> {
    const fn = FUNCTIONS.find((f) => f.name === 'CancelJob')!;
    const cancel: ApiRequest = { ...original, method: 'POST', path: { kind: 'function', fn }, rawQuery: `jobid=${encodeURIComponent(`'${key}'`)}`, body: Buffer.alloc(0), contentType: undefined, undo: true };
    try {
      await this.ctx.router.route(cancel, this.ctx.services);
      return undefined;
    } catch (err) {
      const status = toODataError(err)?.status;
      if (status === 400 || status === 404) return undefined;
      return { message: `cancel of the Job '${key}' it created failed: ${err instanceof Error ? err.message : String(err)}`, failed: true };
    }
  }

  /** Undo a create by deleting it (storage included: an asset's container); says what failed. */
  private async undo(path: ResourcePath, original: ApiRequest, what: string): Promise<UndoLeft | undefined> {
    try {
      await this.ctx.router.route({ ...original, method: 'DELETE', path, rawQuery: '', body: Buffer.alloc(0), contentType: undefined, undo: true }, this.ctx.services);
      return undefined;
    } catch (err) {
      // Already gone (a later operation of the changeset deleted it): nothing is left behind.
      if (toODataError(err)?.status === 404) return undefined;
      return { message: `${what} failed: ${err instanceof Error ? err.message : String(err)}`, failed: true };
    }
  }

  /** The operation's Accept, else the batch's, else the format of its body (an Atom entry gets Atom back). */
  private formatOf(operation: BatchOperation): WireFormat {
    const accept = header(operation.headers, 'accept') ?? this.ctx.outerHeader('accept');
    try {
      return negotiateFormat(accept, undefined);
    } catch {
      return bodyFormat(header(operation.headers, 'content-type')) === 'xml' ? 'atom' : 'json-minimal';
    }
  }

  private errorOf(err: unknown, format: WireFormat, operation: BatchOperation): Rendered {
    const mapped = toODataError(err);
    if (mapped) {
      const rendered = renderError(format, mapped.status, mapped.code, mapped.message);
      return { ...rendered, headers: { ...mapped.headers, ...rendered.headers } };
    }
    this.ctx.logError(`internal error in $batch operation ${operation.index} (${operation.method} ${clip(operation.url)}, request ${this.ctx.info.requestId})`, err);
    return renderError(format, 500, 'InternalError', `The emulator failed to process operation ${operation.index} of the batch (x-ms-request-id ${this.ctx.info.requestId}); this is a bug in the emulator, please report it with the debug log`);
  }
}

/** The target below the service root, decoded, or undefined when it is not under it. */
function relativeTarget(url: string): string | undefined {
  try {
    return pathBelowServiceRoot(decodePath(splitTarget(url).path));
  } catch {
    return undefined;
  }
}

/** Path and query of an operation's target; the scheme and host of an absolute URL are ignored. */
function splitTarget(url: string): { path: string; query: string } {
  let target = url;
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  if (abs) target = target.slice(abs[0].length) || '/';
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  // Relative targets (`Jobs`, `$1/Tasks`) are relative to the service root.
  if (!target.startsWith('/')) target = `/api/${target}`;
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/** What two undo steps of one operation left behind, said together. */
function bothLeft(first: UndoLeft | undefined, second: UndoLeft | undefined): UndoLeft | undefined {
  if (!first || !second) return first ?? second;
  return { message: `${first.message}; ${second.message}`, failed: first.failed || second.failed };
}

function httpPart(rendered: Rendered): MimePart {
  const headers: HeaderList = Object.entries(rendered.headers);
  return {
    headers: [
      ['Content-Type', 'application/http'],
      ['Content-Transfer-Encoding', 'binary'],
    ],
    body: writeHttpResponse(rendered.status, STATUS_CODES[rendered.status] ?? 'Unknown', headers, rendered.body),
  };
}

/** The response to an operation carries its Content-ID, as WCF Data Services wrote it. */
function withContentId(rendered: Rendered, operation: BatchOperation): Rendered {
  return operation.contentId === undefined ? rendered : { ...rendered, headers: { 'Content-ID': operation.contentId, ...rendered.headers } };
}

function maxDataServiceVersion(headerValue: string | undefined): number {
  const m = headerValue ? /^\s*(\d+)/.exec(headerValue) : null;
  const v = m ? Number(m[1]) : 3;
  return v >= 1 && v <= 3 ? v : 3;
}

function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}
