import { createStore, type Store } from '@mlops/core';
import { createModelServer, type ListeningServer, type ModelServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, post, testPredictor } from './helpers.js';

/** Just enough DOM for the /docs script: elements with attributes, children and text. */
interface FakeElement {
  tag: string;
  attrs: Record<string, string>;
  children: (FakeElement | string)[];
  textContent: string;
  setAttribute(k: string, v: string): void;
  append(...kids: (FakeElement | string)[]): void;
}

function element(tag: string): FakeElement {
  const el: FakeElement = {
    tag,
    attrs: {},
    children: [],
    get textContent(): string {
      return el.children.map((c) => (typeof c === 'string' ? c : c.textContent)).join('');
    },
    set textContent(text: string) {
      el.children = text === '' ? [] : [text];
    },
    setAttribute(k, v) {
      el.attrs[k] = v;
    },
    append(...kids) {
      el.children.push(...kids);
    },
  };
  return el;
}

/** Runs the /docs page's own script against the server, and returns the rendered root. */
async function renderDocs(url: string): Promise<FakeElement> {
  const html = await (await fetch(`${url}/docs`)).text();
  const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
  const root = element('div');
  root.textContent = /<div id="root">([^<]*)<\/div>/.exec(html)![1]!;
  const document = { title: '', getElementById: () => root, createElement: element };
  const pageFetch = (path: string, init?: RequestInit) => fetch(`${url}/${path}`, init);
  // The script is `const …; (async () => { … })();`: run it and wait for the rendering to finish.
  const body = script.trim().replace(/\(\s*async\s*\(\)\s*=>/, 'return (async () =>');
  await new Function('document', 'fetch', 'location', body)(document, pageFetch, { origin: url });
  return root;
}

describe('/docs', () => {
  let store: Store;
  let server: ModelServer;
  let http: ListeningServer;

  beforeAll(async () => {
    store = await createStore('memory://');
    server = createModelServer({ models: [{ name: 'demo', predictor: testPredictor() }], store });
    http = await listen(server);
  });
  afterAll(async () => {
    await http.close();
    await store.close();
  });

  it('replaces "Loading…" with the rendered reference', async () => {
    const root = await renderDocs(http.url);
    expect(root.textContent).not.toContain('Loading…');
    expect(root.textContent).toContain('/v1/models/demo/predict');
  });

  it('its curl examples send a body built from the schema, which the server accepts', async () => {
    const text = (await renderDocs(http.url)).textContent;
    expect(text).not.toContain("-d '{...}'");
    const curl = /curl -X POST '[^']*\/v1\/models\/demo\/predict'[^\n]*?-d '([^']*)'/.exec(text);
    expect(curl).not.toBeNull();
    const example = JSON.parse(curl![1]!);
    expect(example).toEqual({ instances: [{ x: 0, city: 'string' }] });
    const res = await post(`${http.url}/v1/models/demo/predict`, example);
    expect(res.status).toBe(200);
    expect(text).toMatch(/curl -X POST '[^']*\/v1\/feedback' -H 'content-type: application\/json' -d '\{/);
  });
});
