import { AccessPolicy } from '../odata/edm.js';
import * as policies from '../model/access-policy.js';
import { readBody } from './common.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';

export async function createAccessPolicy(req: ApiRequest, services: Services): Promise<ApiResult> {
  const record = await policies.createAccessPolicy(services, readBody(req, services, AccessPolicy).values);
  return { kind: 'entity', type: AccessPolicy, record, status: 201 };
}

export function updateAccessPolicy(_req: ApiRequest, services: Services, key: string): ApiResult {
  return policies.updateAccessPolicy(services, key);
}

export async function deleteAccessPolicy(_req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  await policies.deleteAccessPolicy(services, key);
  return { kind: 'noContent' };
}
