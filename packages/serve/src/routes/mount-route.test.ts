import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jsonBody } from '../middleware/body-limits.js';
import type { PredictionRunner } from '../predict/run-prediction.js';
import { checkRouteDefinition, createRouteMounter } from './mount-route.js';
import type { ServerRoute } from './server-route.js';

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  if (!s) return;
  s.closeAllConnections();
  await new Promise((r) => s.close(r));
});

/** An app with just the request state, the mounted routes and an error handler that echoes the error. */
async function appWith(...routes: ServerRoute[]): Promise<string> {
  const app = express();
  app.use((_req, res, next) => {
    res.locals.mlops = { requestId: 'r1', principal: undefined };
    next();
  });
  const mount = createRouteMounter({
    requireScope: () => (_req, _res, next) => next(),
    json: jsonBody(1000),
    runner: {} as PredictionRunner,
  });
  for (const r of routes) mount(app, r);
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    res.status(err.status ?? 400).json({ code: err.code ?? err.type, details: err.details });
  };
  app.use(onError);
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server!.once('listening', r));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

const post = (url: string, body: string, type = 'application/json') =>
  fetch(url, { method: 'POST', headers: { 'content-type': type }, body });

describe('createRouteMounter', () => {
  it('reads the query only when asked: a route without a query schema still sees it, one with a schema gets it parsed', async () => {
    const url = await appWith(
      {
        method: 'get',
        path: '/raw',
        scope: null,
        handler: ({ query }) => ({ query }),
      } as ServerRoute,
      {
        method: 'get',
        path: '/typed',
        scope: null,
        query: z.object({ n: z.coerce.number().int() }),
        handler: ({ query }) => ({ query }),
      } as ServerRoute,
    );
    expect(await (await fetch(`${url}/raw?a=1&b=x`)).json()).toEqual({ query: { a: '1', b: 'x' } });
    expect(await (await fetch(`${url}/typed?n=7`)).json()).toEqual({ query: { n: 7 } });
    const bad = await fetch(`${url}/typed?n=seven`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { details: { path: string }[] }).details.map((d) => d.path)).toEqual(['query.n']);
  });

  it('plain string params are handed over as a copy; params with checks are still validated', async () => {
    let seen: unknown;
    const url = await appWith(
      {
        method: 'get',
        path: '/plain/:name/:version',
        scope: null,
        params: z.object({ name: z.string().describe('Model name'), version: z.string() }),
        handler: ({ params, req }) => {
          seen = params;
          return { same: params === req.params };
        },
      } as ServerRoute,
      {
        method: 'get',
        path: '/checked/:name',
        scope: null,
        params: z.object({ name: z.string().min(3) }),
        handler: ({ params }) => params,
      } as ServerRoute,
    );
    const plain = await fetch(`${url}/plain/iris/v%202`);
    expect(await plain.json()).toEqual({ same: false });
    expect(seen).toEqual({ name: 'iris', version: 'v 2' });
    expect((await fetch(`${url}/checked/abc`)).status).toBe(200);
    const short = await fetch(`${url}/checked/ab`);
    expect(short.status).toBe(400);
    expect(((await short.json()) as { details: { path: string }[] }).details[0]!.path).toBe('params.name');
  });

  it('validates params, query and body with their zod schemas, paths under params/query/body', async () => {
    const url = await appWith({
      method: 'post',
      path: '/things/:id',
      scope: null,
      params: z.object({ id: z.coerce.number().int() }),
      body: z.object({ n: z.number() }),
      handler: ({ params, body, requestId }) => ({ params, body, requestId }),
    } as ServerRoute);
    const ok = await post(`${url}/things/3`, '{"n": 1}');
    expect(await ok.json()).toEqual({ params: { id: 3 }, body: { n: 1 }, requestId: 'r1' });
    const bad = await post(`${url}/things/x`, '{"n": "1"}');
    expect(bad.status).toBe(400);
    expect(
      ((await bad.json()) as { details: { path: string }[] }).details.map((d: { path: string }) => d.path),
    ).toEqual(['params.id', 'body.n']);
  });

  it('bodyIssuePath roots body issues elsewhere (feedback and v2 keep top-level paths)', async () => {
    const url = await appWith({
      method: 'post',
      path: '/fb',
      scope: null,
      body: z.object({ n: z.number() }),
      bodyIssuePath: '',
      handler: () => ({}),
    } as ServerRoute);
    const bad = await post(`${url}/fb`, '{"n": "1"}');
    expect(
      ((await bad.json()) as { details: { path: string }[] }).details.map((d: { path: string }) => d.path),
    ).toEqual(['n']);
  });

  it('compiledBody hands the parsed JSON to the handler (validated there), after the beforeBody middleware', async () => {
    const order: string[] = [];
    const url = await appWith({
      method: 'post',
      path: '/predict',
      scope: null,
      compiledBody: true,
      beforeBody: [
        (req, _res, next) => {
          order.push(`before: body ${req.body === undefined ? 'unread' : 'read'}`);
          next();
        },
      ],
      handler: ({ body }) => {
        order.push('handler');
        return { got: body };
      },
    } as ServerRoute);
    const res = await post(`${url}/predict`, '{"instances": [{"x": 1}]}');
    expect(await res.json()).toEqual({ got: { instances: [{ x: 1 }] } });
    expect(order).toEqual(['before: body unread', 'handler']);
    expect(await (await post(`${url}/predict`, 'x=1', 'text/plain')).json()).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
  });

  it('a response that does not match its schema is a 500, never sent', async () => {
    const url = await appWith({
      method: 'get',
      path: '/r',
      scope: null,
      response: z.object({ ok: z.boolean() }),
      handler: () => ({ ok: 'yes' }),
    } as unknown as ServerRoute);
    const res = await fetch(`${url}/r`);
    expect(await res.json()).toMatchObject({ code: 'INTERNAL' });
  });

  it.each([[{ method: 'head', path: '/x' }], [{ method: 'get', path: 'x' }], [{ method: 'get', path: '/x/{id}' }]])(
    'refuses the definition %j',
    (def) => {
      expect(() => checkRouteDefinition({ ...def, handler: () => undefined } as unknown as ServerRoute)).toThrow(
        /unsupported method|invalid route path/,
      );
    },
  );
});
