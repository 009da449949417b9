import { ContentKey } from '../odata/edm.js';
import { badRequest } from '../odata/errors.js';
import { parseJsonObject } from '../odata/body.js';
import { functionParameters } from '../odata/params.js';
import { keyDeliveryUrl } from '../model/content-key-authorization.js';
import { findContentKey } from '../model/content-key.js';
import { guidOf } from '../model/ids.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';

/**
 * `POST ContentKeys('<id>')/GetKeyDeliveryUrl` with `{"keyDeliveryType":2}` (the SDKs' JSON body;
 * `?keyDeliveryType=2` is read too): the URL of the key on the emulator's own key delivery
 * service, following the Host the client used, like origin locator paths.
 */
export function getKeyDeliveryUrl(req: ApiRequest, services: Services, key: string): ApiResult {
  const record = findContentKey(services.store, key);
  const type = deliveryTypeParameter(req, services);
  return { kind: 'function', name: 'GetKeyDeliveryUrl', value: keyDeliveryUrl(req.baseUrl, record, type, guidOf(ContentKey, record.Id)) };
}

function deliveryTypeParameter(req: ApiRequest, services: Services): number {
  let value: unknown = functionParameters(req.rawQuery).get('keydeliverytype');
  if (req.body.length > 0 && req.body.toString('utf8').trim() !== '') {
    const body = parseJsonObject(req.body, req.contentType, { maxDepth: services.config.limits.maxBodyDepth });
    const name = Object.keys(body).find((k) => k.toLowerCase() === 'keydeliverytype');
    if (name !== undefined) value = body[name];
  }
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) {
    throw badRequest('GetKeyDeliveryUrl requires keyDeliveryType in a JSON body, e.g. {"keyDeliveryType":2} (1 PlayReadyLicense, 2 BaselineHttp, 3 Widevine, 4 FairPlay)');
  }
  return number;
}
