import { Operation, StreamingEndpoint } from '../odata/edm-streaming.js';
import type { ActionRoute, EntitySetRoute } from './router.js';
import { beforeEndpointsRead, beforeOperationsRead, createEndpoint, deleteEndpoint, scaleEndpoint, startEndpoint, stopEndpoint, updateEndpoint } from './streaming-endpoints.js';

/**
 * Everything the streaming area serves, for `app/compose.ts` to list: its entity sets and the
 * actions bound to their entities (`StreamingEndpoints('<id>')/Start`).
 */
export const STREAMING_SETS: readonly EntitySetRoute[] = [
  { type: StreamingEndpoint, handlers: { create: createEndpoint, update: updateEndpoint, remove: deleteEndpoint, beforeRead: beforeEndpointsRead } },
  { type: Operation, handlers: { beforeRead: beforeOperationsRead } },
];

export const STREAMING_ACTIONS: readonly ActionRoute[] = [
  { type: StreamingEndpoint, name: 'Start', handler: startEndpoint },
  { type: StreamingEndpoint, name: 'Stop', handler: stopEndpoint },
  { type: StreamingEndpoint, name: 'Scale', handler: scaleEndpoint },
];
