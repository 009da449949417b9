import express, { type Request, type Response, type Router } from 'express';
import type { Services } from '../app/services.js';
import { recordDeviations, type Deviation } from '../domain/deviations.js';
import type { RequestInfo } from '../domain/findings.js';
import { checkToken, type TokenVerdict } from '../domain/token-restriction.js';
import {
  ContentKeyDeliveryType,
  ContentKeyRestrictionType,
  deliveryTypeOfPath,
  optionsOfPolicy,
  authorizationPolicyKey,
  type AuthorizationOptionRecord,
} from '../model/content-key-authorization.js';
import { getContentKey, type ContentKeyRecord } from '../model/content-key.js';
import { ContentKeyType, enumName } from '../model/enums.js';
import { readTokenRestrictionTemplate } from '../odata/token-restriction-template.js';
import { passMethodGate, sendPlainError, PlainServiceError as KeyDeliveryError } from '../express/plain-service.js';

/**
 * The emulator's key delivery service (ams-v2-surface.md §2.6), where GetKeyDeliveryUrl points:
 * `POST /keydelivery/?KID=<guid>` (GET too: HLS players fetch the EXT-X-KEY URI with GET) answers
 * the raw 16-byte envelope key when one of the BaselineHttp options of the key's authorization
 * policy allows the request: Open always, TokenRestricted for a token that satisfies its
 * template. Otherwise 401, and a finding naming the token's mistake. PlayReady, Widevine and
 * FairPlay licences are not emulated (404 LicenceNotEmulated). Like `/api` and `/origin` it answers any Host name: a
 * player reaches it under the account's name, and a token, not the Host, guards the keys.
 */
export interface KeyDeliveryOptions {
  /** Unexpected failures (bugs), never client mistakes. */
  log(message: string, err: unknown): void;
}

/** Requests carry an empty body (or none); more than this is refused. */
const BODY_LIMIT = '64kb';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function keyDeliveryRouter(services: Services, options: KeyDeliveryOptions): Router {
  const router = express.Router();
  router.use(express.raw({ type: () => true, limit: BODY_LIMIT }));
  router.use((req, res) => {
    void serve(services, req, res).catch((err: unknown) => {
      const known = err instanceof KeyDeliveryError ? err : undefined;
      if (!known) options.log(`key delivery failed for ${req.method} ${req.originalUrl.slice(0, 200)}`, err);
      sendPlainError(req, res, known ?? new KeyDeliveryError(500, 'InternalError', 'The emulator failed to deliver the key; this is a bug in the emulator, please report it'));
    });
  });
  router.use((err: unknown, req: Request, res: Response, _next: (err?: unknown) => void) => {
    const status = (err as { status?: unknown }).status;
    sendPlainError(req, res, status === 413 ? new KeyDeliveryError(413, 'PayloadTooLarge', `Key requests carry no body; this one is over ${BODY_LIMIT}`) : new KeyDeliveryError(400, 'BadRequest', 'The request body cannot be read'));
  });
  return router;
}

async function serve(services: Services, req: Request, res: Response): Promise<void> {
  // GET too: HLS players fetch the EXT-X-KEY URI with GET.
  if (!passMethodGate(req, res, { methods: ['GET', 'POST'], requestHeaders: 'Authorization, Content-Type', hint: 'request a key with POST <key delivery url>' })) return;
  const deliveryType = deliveryTypeOfPath(req.path);
  if (deliveryType === undefined) throw new KeyDeliveryError(404, 'NotFound', `No key delivery at ${req.path.slice(0, 200)}: use the URL GetKeyDeliveryUrl returned (/keydelivery/?KID=<guid>)`);
  if (deliveryType !== ContentKeyDeliveryType.BaselineHttp) {
    // A 404, not a 501: the request is right, there is just no licence server here (and no 5xx
    // ever means "your request was fine but we chose not to").
    throw new KeyDeliveryError(404, 'LicenceNotEmulated', `${enumName(ContentKeyDeliveryType, deliveryType)} licences are not emulated: the emulator delivers AES-128 envelope keys (BaselineHttp) only`);
  }
  const guid = keyIdParameter(req);
  const key = getContentKey(services.store, `nb:kid:UUID:${guid}`);
  if (!key) throw new KeyDeliveryError(404, 'ContentKeyNotFound', `No content key with KID ${guid}`);
  if (key.ContentKeyType !== ContentKeyType.EnvelopeEncryption) {
    throw new KeyDeliveryError(400, 'WrongKeyType', `The content key ${key.Id} is a ${enumName(ContentKeyType, key.ContentKeyType) ?? key.ContentKeyType} key; BaselineHttp delivers EnvelopeEncryption keys only`);
  }
  const refusal = await authorize(services, key, guid, req);
  if (refusal !== undefined) {
    if (refusal.deviation) await services.store.transaction((tx) => recordDeviations(tx, infoOf(req, res), [refusal.deviation!], () => services.ids.guid(), services.now()));
    throw new KeyDeliveryError(401, 'Unauthorized', `Content key policy evaluation has failed: ${refusal.message}`, { 'WWW-Authenticate': 'Bearer' });
  }
  const opened = services.keys.open(key.EncryptedContentKey);
  if (!opened.ok) {
    throw new KeyDeliveryError(400, 'ContentKeyUnusable', `The content key ${key.Id} cannot be delivered: its EncryptedContentKey does not unwrap (${opened.message}); see the content-key-unwrap-failed finding`);
  }
  res.status(200);
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Content-Length', String(opened.key.length));
  res.setHeader('Cache-Control', 'no-store');
  res.end(opened.key);
}

/** `?KID=<guid>` (the service's spelling; `kid` too), the bare GUID or the `nb:kid:UUID:` id. */
function keyIdParameter(req: Request): string {
  const query = new URLSearchParams(req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '');
  const values = [...query.entries()].filter(([name]) => name.toLowerCase() === 'kid').map(([, value]) => value);
  if (values.length !== 1) throw new KeyDeliveryError(400, 'BadRequest', values.length === 0 ? 'The key delivery URL needs ?KID=<key guid>' : 'KID is given more than once');
  const guid = values[0]!.replace(/^nb:kid:uuid:/i, '');
  if (!GUID.test(guid)) throw new KeyDeliveryError(400, 'BadRequest', `KID ${JSON.stringify(values[0]!.slice(0, 100))} is not a GUID`);
  return guid.toLowerCase();
}

interface Refused {
  message: string;
  deviation?: Deviation;
}

/**
 * Whether one of the key's BaselineHttp options lets this request have the key. Each restriction
 * of an option is tried (any one suffices); the token's first mistake against a template is what
 * the finding names.
 */
async function authorize(services: Services, key: ContentKeyRecord, guid: string, req: Request): Promise<Refused | undefined> {
  if (key.AuthorizationPolicyId === null || key.AuthorizationPolicyId === '') {
    return { message: `the content key ${key.Id} has no AuthorizationPolicyId: MERGE it with a ContentKeyAuthorizationPolicy that has a BaselineHttp option` };
  }
  // Checked when set (create, MERGE); a state written otherwise must still not make this a 500.
  const policyId = GUID.test(key.AuthorizationPolicyId.replace(/^nb:ckpid:uuid:/i, '')) ? authorizationPolicyKey(key.AuthorizationPolicyId) : undefined;
  if (policyId === undefined) return { message: `the content key ${key.Id} names no ContentKeyAuthorizationPolicy (AuthorizationPolicyId ${JSON.stringify(key.AuthorizationPolicyId.slice(0, 100))})` };
  const options = optionsOfPolicy(services.store, policyId).filter((o) => o.KeyDeliveryType === ContentKeyDeliveryType.BaselineHttp);
  if (options.length === 0) return { message: `the ContentKeyAuthorizationPolicy ${key.AuthorizationPolicyId} has no BaselineHttp option linked ($links/Options)` };
  const token = tokenOf(req);
  let firstTokenRefusal: Extract<TokenVerdict, { ok: false }> | undefined;
  const reasons: string[] = [];
  for (const option of options) {
    for (const [i, restriction] of option.Restrictions.entries()) {
      switch (restriction.KeyRestrictionType) {
        case ContentKeyRestrictionType.Open:
          return undefined;
        case ContentKeyRestrictionType.TokenRestricted: {
          const verdict = await checkToken(templateOf(option, i), token, { keyGuid: guid, now: services.now() });
          if (verdict.ok) return undefined;
          firstTokenRefusal ??= verdict;
          reasons.push(`option ${option.Id}: ${verdict.message}`);
          break;
        }
        default:
          reasons.push(`option ${option.Id}: IPRestricted restrictions are not emulated (the service never made them available)`);
      }
    }
  }
  const deviation: Deviation | undefined = firstTokenRefusal && {
    rule: `key-delivery-${firstTokenRefusal.mistake}`,
    entityId: key.Id,
    message: `Key request for ${key.Id} refused: ${firstTokenRefusal.message}`,
    details: { ...firstTokenRefusal.details, authorizationPolicyId: key.AuthorizationPolicyId },
  };
  return { message: reasons.join('; '), ...(deviation ? { deviation } : {}) };
}

function templateOf(option: AuthorizationOptionRecord, index: number) {
  // Checked when the option was stored; read again here (templates are small, requests rare).
  return readTokenRestrictionTemplate(option.Restrictions[index]!.Requirements ?? '', `Restrictions[${index}].Requirements`);
}

/**
 * The token as players sent it: `Authorization: Bearer <token>` (the SDK's key delivery client,
 * JWT in Azure Media Player), `Bearer=<token>` (AMP's SWT form), or `?token=<urlencoded>`.
 */
function tokenOf(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header !== undefined) {
    const m = /^\s*Bearer(?:\s+|\s*=\s*)(.*)$/i.exec(header);
    if (m) return m[1]!.trim();
  }
  const query = new URLSearchParams(req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '');
  const token = query.get('token');
  return token === null ? undefined : token.replace(/^Bearer[\s=]+/i, '');
}

function infoOf(req: Request, res: Response): RequestInfo {
  return {
    requestId: String(res.getHeader('x-ms-request-id') ?? ''),
    client: (req.get('user-agent') ?? '').slice(0, 300),
    method: req.method,
    path: req.originalUrl.slice(0, 500),
  };
}
