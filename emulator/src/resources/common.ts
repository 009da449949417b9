import type { EntityTypeDef } from '../odata/edm.js';
import { readEntityBody, type EntityBody } from '../odata/body.js';

export { boundKeys } from '../odata/body.js';
import type { Services } from '../app/services.js';
import type { ApiRequest } from './context.js';

export function readBody(req: ApiRequest, services: Services, type: EntityTypeDef): EntityBody {
  return readEntityBody(req.body, req.contentType, type, { maxDepth: services.config.limits.maxBodyDepth });
}
