import { invalidInput } from '@mlops/core';
import type { z } from 'zod';
import { requestState } from '../middleware/request-context.js';
import { decodeTensors, encodeTensors, v2InferRequestSchema, v2InferResponseSchema } from '../v2/tensors.js';
import { type BuiltinRouteDeps, type ServerRoute, serverRoute, slotOfRequest } from './server-route.js';
import { v2NameParams, v2VersionParams } from './v2-metadata.js';

const json = (schema: unknown) => ({ 'application/json': { schema: schema as z.ZodType } });

/**
 * `POST /v2/models/:name[/versions/:version]/infer`: tensors in, tensors out (Open Inference Protocol v2). The body's
 * envelope is checked by `v2InferRequestSchema`; its tensors are decoded and validated against the model's signature.
 */
export function v2InferRoutes({ slots, runner, maxRows, admit }: BuiltinRouteDeps): ServerRoute[] {
  return (
    [
      ['/v2/models/:name/infer', v2NameParams],
      ['/v2/models/:name/versions/:version/infer', v2VersionParams],
    ] as const
  ).map(([path, params]) =>
    serverRoute({
      method: 'post',
      path,
      tags: ['v2'],
      summary: 'Inference with tensors (Open Inference Protocol v2)',
      scope: 'predict',
      beforeBody: [admit],
      params,
      body: v2InferRequestSchema,
      bodyIssuePath: '',
      openapi: ({ models }) => [
        {
          method: 'post',
          path: path.replace(/:(\w+)/g, '{$1}'),
          tags: ['v2'],
          summary: 'Inference with tensors (Open Inference Protocol v2)',
          description: `Served models: ${models.map((m) => `\`${m.name}\``).join(', ') || 'none'}. Tensor names are the signature's input names; dimension 0 is the batch.`,
          request: { params, body: { required: true, content: json(v2InferRequestSchema) } },
          responses: { 200: { description: 'Output tensors', content: json(v2InferResponseSchema) } },
        },
      ],
      handler: async ({ params: p, body, res }) => {
        const slot = slotOfRequest(slots, p.name, res);
        const st = requestState(res);
        const r = await runner.run(
          slot,
          'version' in p ? p.version : undefined,
          (m) => decodeTensors(m.signature, body.inputs, { maxRows, validate: m.validate }),
          st,
        );
        let names: string[] | undefined;
        if (body.outputs) {
          const known = new Set(Object.keys(r.outputs));
          const bad = body.outputs.flatMap((o, i) =>
            known.has(o.name) ? [] : [{ path: `outputs[${i}].name`, message: `Unknown output "${o.name}"` }],
          );
          if (bad.length > 0) throw invalidInput('invalid inference request', bad);
          names = body.outputs.map((o) => o.name);
        }
        return {
          model_name: slot.name,
          model_version: r.model.version,
          id: body.id ?? st.requestId,
          parameters: { request_id: st.requestId, prediction_ids: r.ids.join(',') },
          outputs: encodeTensors(r.model.signature, r.outputs, names),
        };
      },
    }),
  );
}
