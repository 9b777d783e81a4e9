import { MlopsError } from '@mlops/core';
import { z } from 'zod';
import { ServeError } from '../errors.js';
import type { ModelSlot } from '../model-source.js';
import type { ServedModel } from '../served-model.js';
import { datatypeOf } from '../v2/tensors.js';
import { type BuiltinRouteDeps, type ServerRoute, serverRoute, slotOfRequest } from './server-route.js';

/** Path parameters of the v2 model routes (internal). */
export const v2NameParams = z.object({ name: z.string().describe('Model name') });
/** Path parameters of the v2 version routes (internal). */
export const v2VersionParams = v2NameParams.extend({ version: z.string().describe('Model version') });

function servedVersion(slot: ModelSlot, version: string | undefined): ServedModel {
  if (version === undefined) {
    if (!slot.primary) throw new ServeError('NOT_READY', `Model "${slot.name}" is still loading`);
    return slot.primary;
  }
  const s = slot.served.find((x) => x.model.version === version && x.role !== 'shadow');
  if (!s) {
    throw new MlopsError('NOT_FOUND', {
      message: `Version "${version.slice(0, 100)}" of model "${slot.name}" is not served`,
      details: [{ path: 'version', message: 'Unknown version' }],
    });
  }
  return s.model;
}

function v2Metadata(slot: ModelSlot, m: ServedModel) {
  return {
    name: slot.name,
    versions: slot.served.filter((s) => s.role !== 'shadow').map((s) => s.model.version),
    platform: 'mlops-ts',
    inputs: m.signature.inputs.map((f) => ({ name: f.name, datatype: datatypeOf(f.type), shape: [-1, ...f.shape] })),
    outputs: m.signature.outputs.map((f) => ({ name: f.name, datatype: datatypeOf(f.type), shape: [-1, ...f.shape] })),
  };
}

/** Model and version metadata and readiness (Open Inference Protocol v2). */
export function v2MetadataRoutes({ slots, lifecycle }: BuiltinRouteDeps): ServerRoute[] {
  const routes: ServerRoute[] = [];
  for (const [prefix, params, what] of [
    ['/v2/models/:name', v2NameParams, 'Model'],
    ['/v2/models/:name/versions/:version', v2VersionParams, 'Version'],
  ] as const) {
    routes.push(
      serverRoute({
        method: 'get',
        path: prefix,
        tags: ['v2'],
        summary: `${what} metadata: inputs and outputs as tensors`,
        scope: 'predict',
        params,
        handler: ({ params: p, res }) => {
          const slot = slotOfRequest(slots, p.name, res);
          return v2Metadata(slot, servedVersion(slot, 'version' in p ? p.version : undefined));
        },
      }),
      serverRoute({
        method: 'get',
        path: `${prefix}/ready`,
        tags: ['v2'],
        summary: `${what} readiness`,
        scope: 'predict',
        params,
        handler: ({ params: p, res }) => {
          const slot = slotOfRequest(slots, p.name, res);
          if ('version' in p) servedVersion(slot, p.version);
          const ready = slot.ready && !lifecycle.closing;
          res.status(ready ? 200 : 503).json({ name: slot.name, ready });
          return undefined;
        },
      }),
    );
  }
  return routes;
}
