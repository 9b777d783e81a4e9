import { describe, expect, it } from 'vitest';
import { mapRelation, parseRelation, quoteIdent, quoteRelation } from './identifiers.js';
import { orderSteps } from './run-sql-steps.js';
import { sqlStep } from './steps.js';
import { renderTemplate, templateRefs, usesSelf } from './template.js';

describe('SQL templates', () => {
  const sql = `SELECT * FROM {{ ref('staging.tickets') }} t JOIN {{ref("raw.users")}} u USING (id)
    WHERE EXISTS (SELECT 1 FROM {{ ref('staging.tickets') }});`;

  it('list refs in order of first use, without repeats', () => {
    expect(templateRefs(sql)).toEqual(['staging.tickets', 'raw.users']);
  });

  it('render refs and this, dropping the trailing semicolon', () => {
    const out = renderTemplate(sql, { ref: (n) => quoteRelation(mapRelation(parseRelation(n), { staging: 's1' })) });
    expect(out).toBe(`SELECT * FROM "s1"."tickets" t JOIN "raw"."users" u USING (id)
    WHERE EXISTS (SELECT 1 FROM "s1"."tickets")`);
    expect(renderTemplate('SELECT * FROM {{ this }} WHERE x', { ref: String, self: '"a"."b"' })).toBe(
      'SELECT * FROM "a"."b" WHERE x',
    );
    expect(usesSelf('SELECT * FROM {{this}}')).toBe(true);
  });

  it('refuse unknown placeholders and {{ this }} outside expectations', () => {
    expect(() => templateRefs('SELECT {{ var("x") }}')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => renderTemplate('SELECT * FROM {{ this }}', { ref: String })).toThrow(/only available/);
  });
});

describe('identifiers', () => {
  it('quote any name safely and refuse NUL or names over 63 bytes', () => {
    expect(quoteIdent('a"b; DROP TABLE x')).toBe('"a""b; DROP TABLE x"');
    expect(() => quoteIdent('a\0b')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => quoteIdent('é'.repeat(32))).toThrow(/63 bytes/);
  });

  it.each(['a.b.c', 'x;drop', '1abc.t', '', 'sch."t"'])('refuse relation %j', (name) => {
    expect(() => parseRelation(name)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('orderSteps', () => {
  const node = (name: string, deps: string[]) => ({ name, deps });

  it('puts every step after its upstream steps, ties by name, ignoring sources', () => {
    const order = orderSteps([
      node('features.b', ['staging.a', 'staging.c']),
      node('staging.c', ['raw.x']),
      node('staging.a', ['raw.x']),
      node('features.a', ['staging.c']),
    ]).map((s) => s.name);
    expect(order).toEqual(['staging.a', 'staging.c', 'features.a', 'features.b']);
  });

  it('names the cycle', () => {
    expect(() =>
      orderSteps([node('s.a', ['s.c']), node('s.b', ['s.a']), node('s.c', ['s.b']), node('s.d', [])]),
    ).toThrow(/cycle: s\.a → s\.b → s\.c → s\.a|cycle: s\.a → s\.c → s\.b → s\.a/);
    expect(() => orderSteps([node('s.a', ['s.a'])])).toThrow(/cycle/);
  });
});

describe('sqlStep', () => {
  it('validates the name, the SQL source and the refs', () => {
    expect(sqlStep({ name: 'staging.t', sql: 'SELECT 1' })).toMatchObject({ materialized: 'table', dependsOn: [] });
    expect(() => sqlStep({ name: 't', sql: 'SELECT 1' })).toThrow(/schema-qualified/);
    expect(() => sqlStep({ name: 'staging.t' })).toThrow(/exactly one of sql or file/);
    expect(() => sqlStep({ name: 'staging.t', sql: "SELECT * FROM {{ ref('a.b.c') }}" })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});
