import { ContentKey } from '../odata/edm.js';
import * as keys from '../model/content-key.js';
import { readBody } from './common.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';

export async function createContentKey(req: ApiRequest, services: Services): Promise<ApiResult> {
  const record = await keys.createContentKey(services, readBody(req, services, ContentKey).values, req.info);
  return { kind: 'entity', type: ContentKey, record, status: 201 };
}

export async function updateContentKey(req: ApiRequest, services: Services, keyText: string): Promise<ApiResult> {
  await keys.updateContentKey(services, keyText, readBody(req, services, ContentKey).values);
  return { kind: 'noContent' };
}

export async function deleteContentKey(_req: ApiRequest, services: Services, keyText: string): Promise<ApiResult> {
  await keys.deleteContentKey(services, keyText);
  return { kind: 'noContent' };
}
