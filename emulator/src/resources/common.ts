import type { EntityTypeDef } from '../odata/edm.js';
import { badRequest } from '../odata/errors.js';
import { readEntityBody, type EntityBody } from '../odata/body.js';
import type { Services } from '../app/services.js';
import type { ApiRequest } from './context.js';


export function readBody(req: ApiRequest, services: Services, type: EntityTypeDef): EntityBody {
  return readEntityBody(req.body, req.contentType, type, { maxDepth: services.config.limits.maxBodyDepth });
}

/** Navigation bindings of one name resolved to keys of the expected set (400 on the wrong set). */
export function boundKeys(body: EntityBody, navigation: string, target: EntityTypeDef, resolve: (reference: string) => { type: EntityTypeDef; key: string }): string[] {
  const keys: string[] = [];
  for (const binding of body.bindings) {
    if (binding.navigation !== navigation) continue;
    const ref = resolve(binding.reference);
    if (ref.type !== target) throw badRequest(`The '${navigation}' link must point to ${target.set}, not ${ref.type.set}`);
    keys.push(ref.key);
  }
  return keys;
}
