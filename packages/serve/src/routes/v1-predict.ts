import { columnsToRecords, invalidInput, signatureToJsonSchema } from '@mlops/core';
import { z } from 'zod';
import { requestState } from '../middleware/request-context.js';
import type { ServedModel } from '../served-model.js';
import {
  type BuiltinRouteDeps,
  type OpenApiOperation,
  type ServerRoute,
  serverRoute,
  slotOfRequest,
} from './server-route.js';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `{ instances }` or `{ inputs }`, and nothing else; the model's compiled validator checks the rest. */
function v1Body(body: unknown): { key: 'instances' | 'inputs'; value: unknown } {
  if (!isPlainObject(body)) {
    throw invalidInput('invalid request', [
      { path: '(body)', message: 'Expected a JSON object: { "instances": [...] } or { "inputs": ... }' },
    ]);
  }
  const extra = Object.keys(body).filter((k) => k !== 'instances' && k !== 'inputs');
  if (extra.length > 0) {
    throw invalidInput(
      'invalid request',
      extra.slice(0, 20).map((k) => ({ path: k, message: 'Unknown field' })),
    );
  }
  const has = (k: string) => Object.hasOwn(body, k);
  if (has('instances') === has('inputs')) {
    throw invalidInput('invalid request', [
      { path: 'instances', message: 'Give exactly one of "instances" or "inputs"' },
    ]);
  }
  if (has('instances')) {
    if (!Array.isArray(body.instances)) {
      throw invalidInput('invalid request', [{ path: 'instances', message: 'Expected an array of records' }]);
    }
    return { key: 'instances', value: body.instances };
  }
  return { key: 'inputs', value: body.inputs };
}

function stripSchema(s: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _drop, ...rest } = s;
  return rest;
}

const json = (schema: unknown) => ({ 'application/json': { schema: schema as z.ZodType } });

/** One predict path per served model, its request and response JSON Schemas derived from the signature. */
function predictOperations(models: Parameters<NonNullable<ServerRoute['openapi']>>[0]['models']): OpenApiOperation[] {
  return models.map((m) => {
    const inSchemas = signatureToJsonSchema(m.signature);
    const outRecord =
      m.signature.outputs.length > 0
        ? stripSchema(signatureToJsonSchema(m.signature, { part: 'outputs' }).record)
        : { type: 'object' };
    const request = {
      oneOf: [
        {
          type: 'object',
          properties: { instances: stripSchema(inSchemas.records) },
          required: ['instances'],
          additionalProperties: false,
        },
        {
          type: 'object',
          properties: { inputs: stripSchema(inSchemas.batch) },
          required: ['inputs'],
          additionalProperties: false,
        },
      ],
    };
    const response = {
      type: 'object',
      properties: {
        requestId: { type: 'string' },
        model: { type: 'string', const: m.name },
        version: { type: 'string' },
        predictions: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: { type: 'string', description: 'Prediction id (send it back with feedback)' },
              outputs: outRecord,
            },
            required: ['id', 'outputs'],
          },
        },
      },
      required: ['requestId', 'model', 'version', 'predictions'],
    };
    return {
      method: 'post',
      path: `/v1/models/${m.name}/predict`,
      tags: ['predict'],
      summary: `Predict with ${m.name} (version ${m.version})`,
      description:
        'Send records as `{ "instances": [ {...} ] }` or records/columns as `{ "inputs": ... }`. Fields follow the ' +
        "model's signature; every prediction gets an id for feedback.",
      request: { body: { required: true, content: json(request) } },
      responses: { 200: { description: 'Predictions', content: json(response) } },
    };
  });
}

/**
 * `POST /v1/models/:name/predict`: records (`instances`) or records/columns (`inputs`), validated by the model's
 * compiled signature validator; one prediction id per row.
 */
export function v1PredictRoute({ slots, runner, maxRows, admit }: BuiltinRouteDeps): ServerRoute {
  return serverRoute({
    method: 'post',
    path: '/v1/models/:name/predict',
    tags: ['predict'],
    summary: 'Predict with a served model',
    scope: 'predict',
    compiledBody: true,
    beforeBody: [admit],
    params: z.object({ name: z.string().describe('Model name') }),
    openapi: ({ models }) => predictOperations(models),
    handler: async ({ params, body, res }) => {
      const slot = slotOfRequest(slots, params.name, res);
      const { key, value } = v1Body(body);
      const st = requestState(res);
      const r = await runner.run(slot, undefined, (m: ServedModel) => m.validate(value, { maxRows, path: key }), st);
      const records = columnsToRecords(r.outputs);
      return {
        requestId: st.requestId,
        model: r.model.name,
        version: r.model.version,
        predictions: records.map((outputs, i) => ({ id: r.ids[i]!, outputs })),
      };
    },
  });
}
