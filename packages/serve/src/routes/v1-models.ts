import { z } from 'zod';
import type { ModelSlot } from '../model-source.js';
import { type BuiltinRouteDeps, type ServerRoute, serverRoute, slotOfRequest } from './server-route.js';

function modelInfo(slot: ModelSlot) {
  const p = slot.primary;
  return {
    name: slot.name,
    ready: slot.ready,
    versions: slot.served.map(({ model, role }) => ({ version: model.version, alias: model.alias ?? null, role })),
    ...(p ? { version: p.version, signature: p.signature } : {}),
  };
}

/** `GET /v1/models` and `GET /v1/models/:name`: the served models, their versions, aliases and signatures. */
export function v1ModelsRoutes({ slots }: BuiltinRouteDeps): ServerRoute[] {
  return [
    serverRoute({
      method: 'get',
      path: '/v1/models',
      tags: ['predict'],
      summary: 'List served models and their versions',
      scope: 'predict',
      handler: () => ({ models: slots.all.map(modelInfo) }),
    }),
    serverRoute({
      method: 'get',
      path: '/v1/models/:name',
      tags: ['predict'],
      summary: "A model's version, alias and signature",
      scope: 'predict',
      params: z.object({ name: z.string().describe('Model name') }),
      handler: ({ params, res }) => modelInfo(slotOfRequest(slots, params.name, res)),
    }),
  ];
}
