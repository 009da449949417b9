import { Operation, StreamingEndpoint } from '../odata/edm-streaming.js';
import type { EntityTypeDef } from '../odata/edm.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';
import { beforeEndpointsRead, beforeOperationsRead, createEndpoint, deleteEndpoint, scaleEndpoint, startEndpoint, stopEndpoint, updateEndpoint } from './streaming-endpoints.js';

type ActionHandler = (req: ApiRequest, services: Services, key: string) => Promise<ApiResult>;

/**
 * Everything the streaming area serves, for the router to compose: its entity sets and the
 * actions bound to their entities (`StreamingEndpoints('<id>')/Start`).
 */
export const streamingSets = {
  sets: [
    [StreamingEndpoint, { create: createEndpoint, update: updateEndpoint, remove: deleteEndpoint, beforeRead: beforeEndpointsRead }],
    [Operation, { beforeRead: beforeOperationsRead }],
  ],
  actions: [
    [StreamingEndpoint, 'Start', startEndpoint],
    [StreamingEndpoint, 'Stop', stopEndpoint],
    [StreamingEndpoint, 'Scale', scaleEndpoint],
  ],
} as const satisfies {
  sets: readonly (readonly [EntityTypeDef, object])[];
  actions: readonly (readonly [EntityTypeDef, string, ActionHandler])[];
};
