import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { checkError, listOperations } from '../helpers/contract.ts';
import { rawHttp } from '../helpers/raw-http.ts';

describe('HTTP surface: auth, errors, status, OpenAPI', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.close());

  /** Raw-socket tests need the real listener. */
  async function listening(): Promise<number> {
    return Number(new URL(t.url).port);
  }

  test('GET /api/status needs no token and reports readiness', async () => {
    t.clock.advance(90_500);
    const res = await t.api.get('/api/status', { token: null });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'ok');
    assert.equal(res.body.database.dialect, 'sqlite');
    assert.equal(res.body.uptime_seconds, 90);
    assert.match(res.body.version, /^\d+\.\d+\.\d+/);
  });

  test('a missing token is 401 with the envelope and a hint', async () => {
    const res = await t.api.get('/api/workspaces', { token: null });
    assert.equal(res.status, 401);
    assert.equal(res.body.diagnostic.code, 'unauthorized');
    assert.match(res.body.error, /Authorization: Bearer/);
  });

  test('a wrong token or scheme is 401', async () => {
    for (const headers of [
      { authorization: 'Bearer nope' },
      { authorization: 'Basic dXNlcjpwdw==' },
      { authorization: 'Bearer' },
    ]) {
      const res = await t.api.get('/api/workspaces', { token: null, headers });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.body.diagnostic.code, 'unauthorized');
    }
  });

  test('an unauthenticated mutation is refused before its body is read, and writes nothing', async () => {
    const res = await t.api.post('/api/workspaces', { token: null, body: { root_dir: t.home } });
    assert.equal(res.status, 401);
    const list = await t.api.get('/api/workspaces');
    assert.deepEqual(list.body.workspaces, []);
  });

  test('every contract operation except the readiness probe refuses an anonymous caller', async () => {
    for (const op of listOperations()) {
      const url = op.path.replace(/\{[^}]+\}/g, 'ws_0000000000000000');
      const method = op.method.toUpperCase() as 'GET';
      const res = await t.api.request(method, url, { token: null, record: false });
      const expected = op.operationId === 'getDaemonStatus' ? 200 : 401;
      assert.equal(res.status, expected, `${method} ${op.path}`);
    }
  });

  test('the token check cannot be dodged by spelling the path differently', async () => {
    await t.api.post('/api/workspaces', { body: { root_dir: t.home } });
    const port = await listening();
    const targets = [
      '/%61pi/workspaces',
      '/api/%77orkspaces',
      '/API/workspaces',
      '//api/workspaces',
      '/api/../api/workspaces',
      '/api/status/../workspaces',
      '/api/status%2F..%2Fworkspaces',
      `http://127.0.0.1:${port}/api/workspaces`,
      `HTTP://example.invalid/api/workspaces`,
      '/api/workspaces/',
      '/api/workspaces;x',
    ];
    for (const target of targets) {
      const res = await rawHttp(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      assert.ok(res.status === 401 || res.status === 404 || res.status === 400, `${target} → ${res.status}`);
      assert.doesNotMatch(res.body, /"workspaces"/, `${target} leaked the registry`);
    }
    const open = await rawHttp(port, `GET /api/status?/api/workspaces HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(open.status, 200);
    assert.doesNotMatch(open.body, /"workspaces"/);
  });

  test('requests that are not valid HTTP still get the error envelope', async () => {
    const port = await listening();
    const cases: [string, number, string][] = [
      ['GET nowhere HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'malformed_request'],
      [
        'POST /api/workspaces HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        400,
        'malformed_request',
      ],
      ['POST /api/workspaces HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 400, 'malformed_request'],
      [
        `GET /api/status HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        431,
        'headers_too_large',
      ],
    ];
    for (const [request, status, code] of cases) {
      const res = await rawHttp(port, request);
      assert.equal(res.status, status, `${request.slice(0, 60)}: ${res.head}`);
      const body = JSON.parse(res.body);
      checkError(request.slice(0, 40), body, { status, headers: {}, text: res.body });
      assert.equal(body.diagnostic.code, code);
      assert.match(body.diagnostic.id, /^req_/);
    }
  });

  test('unknown routes are 404 route_not_found (after authentication)', async () => {
    const res = await t.api.get('/api/nothing-here');
    assert.equal(res.status, 404);
    assert.equal(res.body.diagnostic.code, 'route_not_found');
    assert.match(res.body.error, /GET \/api\/nothing-here/);
    const anonymous = await t.api.get('/api/nothing-here', { token: null });
    assert.equal(anonymous.status, 401);
    const outside = await t.api.get('/definitely/not/here');
    assert.equal(outside.status, 404);
  });

  test('every reply carries its request id, which is also the diagnostic id', async () => {
    const res = await t.api.get('/api/nothing-here');
    assert.match(String(res.headers['x-request-id']), /^req_[0-9a-f]{12}$/);
    assert.equal(res.body.diagnostic.id, res.headers['x-request-id']);
  });

  test('operations that are not built yet answer 501 not_implemented', async () => {
    const res = await t.api.get('/api/observe/tasks/dashboard');
    assert.equal(res.status, 501);
    assert.equal(res.body.diagnostic.code, 'not_implemented');
    assert.match(res.body.error, /getTaskDashboard/);
  });

  test('GET /openapi.json is a valid OpenAPI 3.1 document generated from the routes', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi, '3.1.0');
    const validator = new Validator();
    const result = await validator.validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2)?.slice(0, 2000));
    assert.ok(doc.paths['/api/workspaces'].post.requestBody, 'createWorkspace documents its body');
    assert.equal(doc.paths['/api/workspaces/{id}'].get.operationId, 'getWorkspace');
    assert.ok(doc.paths['/api/observe/tasks/dashboard'].get.responses['501'], 'stubs document their 501');
    assert.deepEqual(doc.paths['/api/status'].get.security, [], 'the readiness probe needs no token');
    assert.deepEqual(doc.security, [{ OperatorToken: [] }]);
  });
});
