import type { EntityTypeDef } from '../odata/edm.js';
import type { EntityBody } from '../odata/body.js';
import type { EntityValues } from '../model/entity.js';
import type { JsonRecord } from '../store/types.js';
import type { Services } from '../app/services.js';
import { readBody } from './common.js';
import type { ApiRequest, ApiResult } from './context.js';
import type { EntitySetHandlers, EntitySetRoute } from './router.js';

/**
 * The handlers of an entity set, made once: every set's create, update and delete read the body the
 * same way and answer the same way (201 with the entity, 204); what differs is the model call, which
 * a set gives as its `EntityOperations`. A set whose handler does something else (a 202, no body
 * read, a refusal) gives that handler in `handlers`, which wins over the made ones.
 */

/** What an operation gets: the request, the emulator's services and the request body as read for the set. */
export interface EntityCall {
  req: ApiRequest;
  services: Services;
  body: EntityBody;
  values: EntityValues;
}

/** The model's part of a set's changes; each is optional (a set without `remove` answers 405 to DELETE). */
export interface EntityOperations {
  /** Make and store an entity from a create's body; the stored record is answered with 201. */
  create?: (call: EntityCall) => Promise<JsonRecord>;
  /** Apply an update's body to the entity named by `key` (as written in the URL); 204. */
  update?: (call: EntityCall, key: string) => Promise<unknown>;
  /** Delete the entity named by `key`; 204. The body is not read. */
  remove?: (call: Pick<EntityCall, 'req' | 'services'>, key: string) => Promise<unknown>;
}

function call(type: EntityTypeDef, req: ApiRequest, services: Services): EntityCall {
  const body = readBody(req, services, type);
  return { req, services, body, values: body.values };
}

const NO_CONTENT: ApiResult = { kind: 'noContent' };

/** The route of an entity set: its handlers made from `operations`, then `handlers` (custom ones, `records`, `beforeRead`). */
export function entitySet(type: EntityTypeDef, operations: EntityOperations, handlers: EntitySetHandlers = {}): EntitySetRoute {
  const { create, update, remove } = operations;
  const made: EntitySetHandlers = {};
  if (create) made.create = async (req, services) => ({ kind: 'entity', type, record: await create(call(type, req, services)), status: 201 });
  if (update) {
    made.update = async (req, services, key) => {
      await update(call(type, req, services), key);
      return NO_CONTENT;
    };
  }
  if (remove) {
    made.remove = async (req, services, key) => {
      await remove({ req, services }, key);
      return NO_CONTENT;
    };
  }
  return { type, handlers: { ...made, ...handlers } };
}
