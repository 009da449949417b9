import type { EntityTypeDef } from '../odata/edm.js';
import { badRequest, methodNotAllowed, notFound } from '../odata/errors.js';
import { readLinkBody } from '../odata/body.js';
import { canonicalId, checkKey, resolveEntityReference } from '../odata/uri.js';
import { entityUrl } from '../odata/urls.js';
import type { StoreReader, Transaction } from '../store/types.js';
import type { LinkHandler } from './router.js';

/**
 * `<Source>('…')/$links/<Nav>` for a many-valued link the model keeps: GET lists the linked
 * entities' URIs (or answers for one), POST adds one named by `{"uri": …}` or `<uri>`, DELETE
 * `…/$links/<Nav>('<id>')` removes one. Both ids are checked for form before either is looked up,
 * so a malformed one is a 400 whatever exists.
 */
export interface LinkSpec {
  source: EntityTypeDef;
  target: EntityTypeDef;
  /** The source's stored id from a URL key (400 malformed, 404 unknown). */
  sourceId(reader: StoreReader, key: string): string;
  /** Ids of the linked targets, in link order. */
  linked(reader: StoreReader, sourceId: string): string[];
  link(tx: Transaction, sourceId: string, targetKey: string): void;
  unlink(tx: Transaction, sourceId: string, targetKey: string): void;
}

export function linkHandlers(spec: LinkSpec): LinkHandler {
  return async (req, services, path) => {
    const nav = path.nav;
    checkKey(spec.source, path.key);
    if (path.targetKey !== undefined) checkKey(spec.target, path.targetKey);
    switch (req.method) {
      case 'GET':
      case 'HEAD': {
        let ids = spec.linked(services.store, spec.sourceId(services.store, path.key));
        if (path.targetKey !== undefined) {
          const wanted = canonicalId(spec.target, path.targetKey);
          ids = ids.filter((id) => canonicalId(spec.target, id) === wanted);
          if (ids.length === 0) throw notFound(`The ${spec.target.name} '${path.targetKey}' is not linked to the ${spec.source.name} '${path.key}'`);
        }
        return { kind: 'links', type: spec.source, nav, uris: ids.map((id) => entityUrl(req.serviceRoot, spec.target, id)), single: path.targetKey !== undefined };
      }
      case 'POST': {
        if (path.targetKey !== undefined) throw badRequest(`POST the link to ${spec.source.set}('<id>')/$links/${nav.name} with the ${spec.target.name}'s URI in the body`);
        const target = resolveEntityReference(readLinkBody(req.body, req.contentType, { maxDepth: services.config.limits.maxBodyDepth }));
        if (target.type !== spec.target) throw badRequest(`The $links/${nav.name} body must point to a ${spec.target.name}, not ${target.type.set}`);
        checkKey(spec.target, target.key);
        await services.store.transaction((tx) => spec.link(tx, spec.sourceId(tx, path.key), target.key));
        return { kind: 'noContent' };
      }
      case 'DELETE': {
        const targetKey = path.targetKey;
        if (targetKey === undefined) throw badRequest(`Name the entity to unlink: DELETE ${spec.source.set}('<id>')/$links/${nav.name}('<${spec.target.name} id>')`);
        await services.store.transaction((tx) => spec.unlink(tx, spec.sourceId(tx, path.key), targetKey));
        return { kind: 'noContent' };
      }
      default:
        throw methodNotAllowed(`${req.method} is not allowed on $links; use GET, POST or DELETE`);
    }
  };
}
