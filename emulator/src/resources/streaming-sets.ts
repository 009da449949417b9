import { Operation, StreamingEndpoint } from '../odata/edm-streaming.js';
import type { ApiRoutes } from './router.js';
import { entitySet } from './entity-set.js';
import { beforeEndpointsRead, beforeOperationsRead, createEndpoint, deleteEndpoint, scaleEndpoint, startEndpoint, stopEndpoint, updateEndpoint } from './streaming-endpoints.js';

/**
 * Streaming, as one area `app/compose.ts` adds to the core lists: StreamingEndpoints, the
 * Operations that report their changes, and the actions bound to an endpoint
 * (`StreamingEndpoints('<id>')/Start`, declared in `odata/edm-streaming.ts` STREAMING_ACTIONS).
 * The origin it gates is `origin/`, outside `/api`.
 */
export const STREAMING_AREA: Required<ApiRoutes> = {
  sets: [
    // Every change answers 202 with an operation: the endpoint's handlers are its own.
    entitySet(StreamingEndpoint, {}, { create: createEndpoint, update: updateEndpoint, remove: deleteEndpoint, beforeRead: beforeEndpointsRead }),
    entitySet(Operation, {}, { beforeRead: beforeOperationsRead }),
  ],
  functions: [],
  actions: [
    { type: StreamingEndpoint, name: 'Start', handler: startEndpoint },
    { type: StreamingEndpoint, name: 'Stop', handler: stopEndpoint },
    { type: StreamingEndpoint, name: 'Scale', handler: scaleEndpoint },
  ],
  navigations: [],
  links: [],
};
