import { describe, expect, it } from 'vitest';
import { createHostCheck, hostnameOf, hostRefusedError, isLoopbackHost } from './host-check.js';

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    [' LocalHost ', true],
    ['app.localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['[::ffff:127.0.0.1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['localhost.example.com', false],
    ['127.0.0.1.example.com', false],
  ])('isLoopbackHost(%j) is %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe('hostnameOf', () => {
  it.each([
    ['localhost:8080', 'localhost'],
    ['LocalHost', 'localhost'],
    ['127.0.0.1:80', '127.0.0.1'],
    ['[::1]:8080', '::1'],
    ['[::1]', '::1'],
    ['example.com.', 'example.com'],
    ['example.com:', undefined],
    ['example.com:80x', undefined],
    ['example.com:8080:1', undefined],
    ['[::1', undefined],
    ['', undefined],
  ])('hostnameOf(%j) is %j', (header, expected) => {
    expect(hostnameOf(header)).toBe(expected);
  });
});

describe('createHostCheck', () => {
  it('answers the same for a header seen again, accepted or refused, in any order (the last accepted is remembered)', () => {
    const c = createHostCheck(['ml.internal']);
    const seq = ['127.0.0.1:8080', 'evil.example', '127.0.0.1:8080', 'evil.example', 'ml.internal', 'evil.example'];
    expect(seq.map((h) => c(h))).toEqual([true, false, true, false, true, false]);
    expect(c('EVIL.example:80')).toBe(false);
    expect(c('localhost:3000')).toBe(true);
  });

  const check = createHostCheck(['ml.internal', '.svc.cluster.local', '[fd00::5]']);
  it.each([
    ['localhost:8080', true],
    ['app.localhost', true],
    ['127.0.0.1:8080', true],
    ['127.8.9.10', true],
    ['[::1]:1', true],
    ['[::ffff:127.0.0.1]:1', true],
    ['ml.internal:8080', true],
    ['ML.Internal', true],
    ['svc.cluster.local', true],
    ['serve.ns.svc.cluster.local:80', true],
    ['[fd00::5]:80', true],
    [undefined, true],
    ['evil.example', false],
    ['localhost.evil.example', false],
    ['127.0.0.1.evil.example', false],
    ['ml.internal.evil.example', false],
    ['evilsvc.cluster.local', false],
    ['0.0.0.0:8080', false],
    ['192.0.2.1', false],
    ['localhost:http', false],
  ])('Host %j allowed: %s', (header, expected) => {
    expect(check(header)).toBe(expected);
  });

  it('admits any name with true', () => {
    expect(createHostCheck(true)('anything.example')).toBe(true);
  });
});

describe('hostRefusedError', () => {
  it('is a FORBIDDEN naming the Host (cut to 100 characters), the refusing server and the remedy', () => {
    const err = hostRefusedError(`evil.example:80${'x'.repeat(200)}`, 'dashboard', ', or turn auth on');
    expect(err.code).toBe('FORBIDDEN');
    expect(err.message).toMatch(/^Host "evil\.example:80x{85}" refused: a loopback dashboard without auth /);
    expect(err.message).toMatch(/add the name to allowedHosts, or turn auth on$/);
    expect(err.details).toEqual([{ path: '(headers).host', message: 'Not a loopback name and not in allowedHosts' }]);
  });
});
