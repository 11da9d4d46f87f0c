// The schema tier against the real suite: the served document (media types, lint, validation),
// every operation called and checked against it, the offline dump byte for byte, health, and a
// restarted service with a changed route changing the document while schema-svc keeps running.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Suite, buildDir, sourceDir, sleep } from './lib/suite.mjs';
import { Conformance } from './lib/conform.mjs';
import { operations } from './operations.mjs';

const artifacts = join(buildDir, 'artifacts', 'schema');
mkdirSync(artifacts, { recursive: true });
const suite = new Suite();

before(async () => { await suite.start(); });
after(async () => { await suite.stop(); });

const get = (path, headers = {}) => fetch(suite.url + path, { headers });

test('/api/schema/ answers as drf-spectacular does', async () => {
  let r = await get('/api/schema/');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/vnd.oai.openapi; charset=utf-8');
  const yaml = await r.text();
  assert.ok(yaml.startsWith('openapi: 3.0.3\n'), yaml.slice(0, 40));
  const etag = r.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  assert.equal((await get('/api/schema/')).headers.get('etag'), etag, 'the same document, the same ETag');

  r = await get('/api/schema/?format=json');
  assert.equal(r.headers.get('content-type'), 'application/vnd.oai.openapi+json');
  const json = await r.text();
  assert.ok(json.startsWith('{\n    "openapi": "3.0.3"'));
  assert.deepEqual(load(yaml), JSON.parse(json), 'YAML and JSON carry the same document');

  r = await get('/api/schema/', { Accept: 'application/vnd.oai.openapi+json' });
  assert.equal(r.headers.get('content-type'), 'application/vnd.oai.openapi+json');
  r = await get('/api/schema/', { Accept: 'application/json' });
  assert.equal(r.headers.get('content-type'), 'application/json');
  r = await get('/api/schema/', { Accept: 'application/yaml' });
  assert.equal(r.headers.get('content-type'), 'application/yaml; charset=utf-8');
  r = await get('/api/schema/', { Accept: 'text/html' });
  assert.equal(r.status, 406);

  const doc = JSON.parse(json);
  assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['ApiKeyAuth', 'cookieAuth', 'jwtAuth']);
  for (const name of ['Employee', 'PatchedEmployee', 'PaginatedEmployeeList', 'DepartmentEnum'])
    assert.ok(doc.components.schemas[name], `component ${name}`);
  const list = doc.paths['/pegasus/employees/api/employees/'].get;
  assert.equal(list.operationId, 'employees_list');
  assert.deepEqual(list.tags, ['pegasus']);
  assert.deepEqual(list.security, [{ cookieAuth: [] }, { jwtAuth: [] }, { ApiKeyAuth: [] }]);
  assert.deepEqual(doc.paths['/api/health/'].get.security, [], 'public: no security');
  assert.equal(doc.paths['/api/schema/'], undefined, 'the schema endpoint is not in the schema');
});

test('the served document passes redocly lint and swagger-parser', async () => {
  const yaml = await (await get('/api/schema/')).text();
  const file = join(artifacts, 'api-schema.yml');
  writeFileSync(file, yaml);
  const lint = spawnSync(join(sourceDir, 'node_modules', '.bin', 'redocly'),
    ['lint', file, '--config', join(sourceDir, 'redocly.yaml')], {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      encoding: 'utf8',
    });
  writeFileSync(join(artifacts, 'redocly-lint.txt'), lint.stdout + lint.stderr);
  assert.equal(lint.status, 0, `redocly lint failed:\n${lint.stdout}${lint.stderr}`);
  const api = await SwaggerParser.validate(structuredClone(load(yaml)));
  assert.equal(api.openapi, '3.0.3');
});

test('every operation of the document is called and answers as documented', async () => {
  const doc = await (await get('/api/schema/?format=json')).json();
  const c = new Conformance(doc, suite.url);
  const tokens = new Map();
  c.user = (n) => {
    if (!tokens.has(n)) tokens.set(n, suite.token(n));
    return { bearer: tokens.get(n) };
  };
  c.fail = (msg) => c.failures.push(msg);
  const missing = [...c.ops.keys()].filter((id) => !(id in operations));
  assert.deepEqual(missing, [], `operations without an example in tests/schema/operations.mjs: ${missing.join(', ')}`);
  const state = {};
  for (const [id, run] of Object.entries(operations)) {
    if (c.ops.has(id)) await run(c, state);
  }
  // every authenticated operation, once more without credentials: its 401 is documented too
  for (const [id, { op, path }] of c.ops) {
    if ((op.security ?? []).length === 0) continue;
    const params = Object.fromEntries([...path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1], 1]));
    await c.call(id, { params, body: op.requestBody ? {} : undefined, expect: 401 });
  }
  writeFileSync(join(artifacts, 'exercised.json'),
    JSON.stringify(Object.fromEntries([...c.exercised].map(([k, v]) => [k, [...v]])), null, 2));
  assert.deepEqual(c.failures, []);
  assert.deepEqual(c.unexercised(), [], 'operations no test touched');
});

test('apibus schema --file writes exactly what /api/schema/ serves', async () => {
  const dump = join(buildDir, 'tests', 'schema', 'apibus-schema-dump');
  const out = join(suite.dir, 'api-schema.yml'), outJson = join(suite.dir, 'api-schema.json');
  execFileSync(dump, ['--bin-dir', buildDir, '--file', out, '--validate'], { env: suite.env });
  execFileSync(dump, ['--bin-dir', buildDir, '--file', outJson, '--format', 'openapi-json'], { env: suite.env });
  assert.equal(readFileSync(out, 'utf8'), await (await get('/api/schema/')).text());
  assert.equal(readFileSync(outJson, 'utf8'), await (await get('/api/schema/?format=json')).text());
  // once `apibus schema` is wired into the command, the command itself
  const cli = join(buildDir, 'cli', 'apibus');
  const probe = spawnSync(cli, ['schema', '--help'], { encoding: 'utf8' });
  if (probe.status === 0) {
    const viaCli = join(suite.dir, 'cli-schema.yml');
    execFileSync(cli, ['schema', '--file', viaCli], { env: suite.env });
    assert.equal(readFileSync(viaCli, 'utf8'), readFileSync(out, 'utf8'));
  }
});

test('/api/health/ lists every service with its live instances and fragment version', async () => {
  const h = await (await get('/api/health/')).json();
  assert.equal(h.status, 'ok', JSON.stringify(h));
  assert.deepEqual(h.conflicts, []);
  const names = h.services.map((s) => s.service);
  for (const name of suite.binaries.keys()) assert.ok(names.includes(name), `${name} in health`);
  for (const s of h.services) {
    assert.equal(s.status, 'up');
    assert.ok(s.instances.length >= 1 && s.version);
  }
  assert.equal(h.document.etag, (await get('/api/schema/')).headers.get('etag'));
});

test('a service restarted with a changed route changes the document; schema-svc keeps running', async () => {
  const schemaPid = suite.procs.get('schema').pid;
  const before = await (await get('/api/schema/')).text();
  await suite.stopProc('employees');
  suite.spawn('employees', join(buildDir, 'tests', 'schema', 'apibus-employees-changed'));
  const h = await suite.waitDocument(['employees'],
    (x) => x.services.find((s) => s.service === 'employees')?.version === '1.1.0');
  const doc = await (await get('/api/schema/?format=json')).json();
  assert.ok(doc.paths['/pegasus/employees/api/ping/'], 'the new route is in the document');
  assert.notEqual(await (await get('/api/schema/')).text(), before);
  assert.equal(suite.procs.get('schema').pid, schemaPid);
  assert.equal(suite.procs.get('schema').exitCode, null, 'schema-svc never restarted');

  // and back: the original binary, started later, speaks for the service again
  await suite.stopProc('employees');
  suite.spawn('employees', suite.binaries.get('employees'));
  await suite.waitDocument(['employees'],
    (x) => x.services.find((s) => s.service === 'employees')?.version === '1.0.0');
  assert.equal(await (await get('/api/schema/')).text(), before);
  assert.ok(h.document.etag);
});

test('a service that is down keeps its fragment, marked in health', async () => {
  await suite.stopProc('employees');
  const h = await suite.waitDocument([], (x) => x.services.find((s) => s.service === 'employees')?.status === 'down');
  assert.equal(h.status, 'degraded');
  const doc = await (await get('/api/schema/?format=json')).json();
  assert.ok(doc.paths['/pegasus/employees/api/employees/'], 'the last fragment stays');
  suite.spawn('employees', suite.binaries.get('employees'));
  await suite.waitDocument(['employees']);
});
