import * as keys from '../model/content-key.js';
import type { EntityOperations } from './entity-set.js';

export const contentKeyOperations: EntityOperations = {
  create: ({ services, values, req }) => keys.createContentKey(services, values, req.info),
  update: ({ services, values }, keyText) => keys.updateContentKey(services, keyText, values),
  remove: ({ services }, keyText) => keys.deleteContentKey(services, keyText),
};
