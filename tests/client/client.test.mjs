// The generated TypeScript client (api-client/) against the real suite, through nothing but
// the client: it is compiled with tsc first (which also type-checks usage.ts, the documented
// usage), then register, log in (tokens and a browser session), refresh, employees CRUD with
// paging and the aggregates, API keys, and errors as callers see them (ResponseError with the
// DRF field errors).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Suite, sourceDir, sleep } from '../schema/lib/suite.mjs';

let suite, out, C, usage;
const password = 'tulip-orbit-cascade';
const email = `client-${process.pid}@example.com`;
let tokens; // {access, refresh}

before(async () => {
  out = mkdtempSync(join(tmpdir(), 'apibus-client-js-'));
  execFileSync(join(sourceDir, 'node_modules', '.bin', 'tsc'), ['-p', join(sourceDir, 'tests', 'client', 'tsconfig.json'),
    '--outDir', out], { stdio: 'inherit' });
  C = await import(pathToFileURL(join(out, 'api-client', 'src', 'index.js')).href);
  usage = await import(pathToFileURL(join(out, 'tests', 'client', 'usage.js')).href);
  suite = await new Suite().start();
});

after(async () => {
  await suite?.stop();
  if (out) rmSync(out, { recursive: true, force: true });
});

const config = (extra = {}) => new C.Configuration({ basePath: suite.url, ...extra });
const api = (extra) => new C.ApiApi(config(extra));
const pegasus = (extra) => new C.PegasusApi(config(extra));
const hasKeys = () => typeof new C.ApiApi(new C.Configuration()).apiKeysCreate === 'function';

// Rejects with the client's ResponseError of this status; returns it.
async function rejects(promise, status) {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof C.ResponseError, `expected a ResponseError, got ${err}`);
    assert.equal(err.status, status, JSON.stringify(err.body));
    assert.equal(err.response.status, status);
    return err;
  }
  assert.fail(`expected HTTP ${status}, the call succeeded`);
}

// A fetch that keeps cookies, as a browser would (only for the session test).
function cookieFetch() {
  const jar = new Map();
  const base = globalThis.fetch;
  const f = async (req) => {
    const r = new Request(req);
    if (jar.size) r.headers.set('Cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    if (!['GET', 'HEAD'].includes(r.method)) r.headers.set('Origin', new URL(r.url).origin); // as a same-origin page sends it
    const res = await base(r);
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
    return res;
  };
  f.jar = jar;
  return f;
}

test('every generated API class has its typescript-fetch style export', async () => {
  const gen = await import(pathToFileURL(join(out, 'api-client', 'src', 'generated', 'index.js')).href);
  const tags = Object.keys(gen).filter((k) => /Api$/.test(k) && typeof gen[k] === 'function');
  assert.ok(tags.includes('PegasusApi') && tags.includes('ApiApi'), tags.join());
  for (const t of tags) {
    assert.equal(typeof C[t], 'function', `api-client/src/index.ts has no compatApi(gen.${t}) line`);
    assert.notEqual(C[t], gen[t], `${t} is exported unadapted`);
  }
  assert.deepEqual(Object.entries(C.DepartmentEnum), [['Hr', 'hr'], ['Finance', 'finance'], ['Engineering', 'engineering'],
    ['Marketing', 'marketing'], ['Sales', 'sales']]);
});

test('register, log in, refresh, verify, user', async () => {
  const reg = await api().apiAuthRegisterCreate({ register: { email, password1: password, password2: password } });
  assert.equal(reg.user.email, email);
  assert.ok(reg.access && reg.refresh);

  const login = await api().apiAuthLoginCreate({ login: { email, password } });
  assert.equal(login.status, 'success');
  assert.equal(login.jwt.user.email, email);
  tokens = { access: login.jwt.access, refresh: login.jwt.refresh };

  const refreshed = await api().apiAuthTokenRefreshCreate({ tokenRefresh: { refresh: tokens.refresh } });
  assert.ok(refreshed.access);
  assert.ok(refreshed.access_expiration);
  tokens.access = refreshed.access;
  await api().apiAuthTokenVerifyCreate({ tokenVerify: { token: tokens.access } });

  const me = await api({ accessToken: tokens.access }).apiAuthUserRetrieve();
  assert.equal(me.email, email);
  assert.equal(me.id, reg.user.id);
  const renamed = await api({ accessToken: async () => tokens.access })
    .apiAuthUserPartialUpdate({ patchedCustomUser: { first_name: 'Ada' } });
  assert.equal(renamed.first_name, 'Ada');
});

test('errors reach the caller: field errors, bad credentials, bad tokens, no credentials', async () => {
  const dup = await rejects(api().apiAuthRegisterCreate({ register: { email, password1: password, password2: password } }), 400);
  assert.ok(Array.isArray(dup.body.email), JSON.stringify(dup.body));

  const mismatch = await rejects(api().apiAuthRegisterCreate({ register: { email: 'x@example.com', password1: password, password2: 'other-words-here' } }), 400);
  assert.ok(Object.keys(mismatch.body).length > 0);

  const bad = await rejects(api().apiAuthLoginCreate({ login: { email, password: 'wrong-password-1' } }), 400);
  assert.deepEqual(bad.body, { non_field_errors: ['Unable to log in with provided credentials.'] });

  const invalid = await rejects(api().apiAuthTokenRefreshCreate({ tokenRefresh: { refresh: 'not-a-token' } }), 401);
  assert.equal(invalid.body.code, 'token_not_valid');

  await rejects(pegasus().employeesList(), 401);

  // a 400 with field errors, readable the typescript-fetch way too
  const p = pegasus({ accessToken: tokens.access });
  const err = await rejects(p.employeesCreate({ employee: { name: '', department: 'nope', salary: -1 } }), 400);
  for (const f of ['name', 'department', 'salary']) assert.ok(Array.isArray(err.body[f]) && err.body[f].length, `${f}: ${JSON.stringify(err.body)}`);
  assert.deepEqual(await err.response.json(), err.body);
  assert.match(err.message, /400/);

  const missing = await rejects(p.employeesCreate({ employee: { name: 'No salary', department: 'hr' } }), 400);
  assert.deepEqual(missing.body, { salary: ['This field is required.'] });

  // a network failure is a FetchError, not a hang
  const dead = new C.PegasusApi(new C.Configuration({ basePath: 'http://127.0.0.1:1', accessToken: 'x' }));
  await assert.rejects(dead.employeesList(), (e) => e instanceof C.FetchError);
});

test('employees: create, retrieve, update, partial update, destroy, aggregates, paging', async () => {
  const p = pegasus({ accessToken: tokens.access });
  const made = [];
  for (const [name, department, salary] of [['Ada', 'engineering', 120000], ['Grace', 'engineering', 110000], ['Linus', 'hr', 60000]])
    made.push(await p.employeesCreate({ employee: { name, department, salary } }));
  assert.equal(made[0].name, 'Ada');
  assert.equal(typeof made[0].id, 'number');
  assert.match(made[0].created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

  assert.equal((await p.employeesRetrieve({ id: made[1].id })).name, 'Grace');
  const put = await p.employeesUpdate({ id: made[1].id, employee: { name: 'Grace H.', department: 'finance', salary: 130000 } });
  assert.deepEqual([put.name, put.department, put.salary], ['Grace H.', 'finance', 130000]);
  const patched = await p.employeesPartialUpdate({ id: made[2].id, patchedEmployee: { salary: 65000 } });
  assert.equal(patched.salary, 65000);
  // the generated @hey-api names work as well
  const patched2 = await p.employeesPartialUpdate({ id: made[2].id, patchedEmployeeWritable: { name: 'Linus T.' } });
  assert.equal(patched2.name, 'Linus T.');

  const agg = await p.employeesAggregateData();
  const byDept = (pairs) => Object.fromEntries(pairs);
  assert.deepEqual(byDept(agg.total_costs), { engineering: 120000, finance: 130000, hr: 65000 });
  assert.deepEqual(byDept(agg.headcounts), { engineering: 1, finance: 1, hr: 1 });
  assert.equal(byDept(agg.average_salaries).engineering, 120000);

  assert.equal(await p.employeesDestroy({ id: made[0].id }).then(() => 'gone'), 'gone');
  await rejects(p.employeesRetrieve({ id: made[0].id }), 404);

  const first = await p.employeesList();
  assert.equal(first.count, 2);
  assert.deepEqual(first.results.map((e) => e.id), [made[1].id, made[2].id]);
  await rejects(p.employeesList({ page: 2 }), 404);

  // 100 per page: a second page appears at 101
  await Promise.all(Array.from({ length: 99 }, (_, i) => p.employeesCreate({ employee: { name: `Temp ${i}`, department: 'sales', salary: i } })));
  const page1 = await p.employeesList({ page: 1 });
  assert.equal(page1.count, 101);
  assert.equal(page1.results.length, 100);
  assert.ok(page1.next && !page1.previous);
  const page2 = await p.employeesList({ page: 2 });
  assert.equal(page2.results.length, 1);
  assert.ok(page2.previous && !page2.next);
  for (const e of [...page1.results, ...page2.results].filter((e) => e.name.startsWith('Temp ')))
    await p.employeesDestroy({ id: e.id });
  assert.equal((await p.employeesList()).count, 2);

  // Pegasus's own calls (usage.ts), typed as typescript-fetch request objects
  const left = await usage.pegasusApp(suite.url, tokens.access);
  assert.equal(left.length, 2);
});

test('a browser session: log in with session, the documented usage with X-CSRFToken, log out', async () => {
  const fetchApi = cookieFetch();
  const login = await api({ fetchApi }).apiAuthLoginCreate({ login: { email, password, session: true } });
  assert.equal(login.status, 'success');
  assert.ok(fetchApi.jar.get('sessionid') && fetchApi.jar.get('csrftoken'), [...fetchApi.jar.keys()].join());
  const csrf = fetchApi.jar.get('csrftoken');

  // COMPAT.md's snippet, verbatim in usage.ts; the cookies come from the jar, as a browser sends them
  const realFetch = globalThis.fetch;
  let logged;
  globalThis.fetch = (req, init) => fetchApi(new Request(req, init));
  try {
    await usage.documentedUsage(csrf, suite.url, (r) => { logged = r; });
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.equal(logged.length, 2);

  // unsafe methods need the X-CSRFToken header with a session
  const withCsrf = pegasus({ fetchApi, headers: { 'X-CSRFToken': csrf } });
  const made = await withCsrf.employeesCreate({ employee: { name: 'Session made', department: 'marketing', salary: 1 } });
  await rejects(pegasus({ fetchApi }).employeesDestroy({ id: made.id }), 403);
  await withCsrf.employeesDestroy({ id: made.id });

  await api({ fetchApi, headers: { 'X-CSRFToken': csrf } }).apiAuthLogoutCreate({ logout: { refresh: tokens.refresh } });
  await rejects(api().apiAuthTokenRefreshCreate({ tokenRefresh: { refresh: tokens.refresh } }), 401);
});

test('API keys: create (the key once), list, use, revoke', { skip: false }, async (t) => {
  if (!hasKeys()) return t.skip('the generated client has no keys operations (services/keys is not in this build)');
  const login = await api().apiAuthLoginCreate({ login: { email, password } });
  const a = api({ accessToken: login.jwt.access });
  const created = await a.apiKeysCreate({ apiKey: { name: 'client test key' } });
  assert.match(created.key, /^[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}$/);
  assert.equal(created.prefix, created.key.slice(0, 8));

  const listed = await a.apiKeysList();
  const row = listed.results.find((k) => k.id === created.id);
  assert.ok(row, 'the new key is listed');
  assert.equal(row.key, undefined, 'the list never holds the key');
  assert.equal(row.revoked, false);
  assert.equal((await a.apiKeysRetrieve({ id: created.id })).name, 'client test key');
  assert.equal((await a.apiKeysPartialUpdate({ id: created.id, patchedApiKeyName: { name: 'renamed' } })).name, 'renamed');

  const withKey = await usage.withApiKey(suite.url, created.key);
  assert.equal(withKey.count, 2);

  const revoked = await a.apiKeysRevokeCreate({ id: created.id });
  assert.equal(revoked.revoked, true);
  let last;
  for (let i = 0; i < 30; i++) { // every gateway refuses it within a second
    try { await usage.withApiKey(suite.url, created.key); } catch (e) { last = e; break; }
    await sleep(100);
  }
  assert.ok(last instanceof C.ResponseError && last.status === 401, `the revoked key still worked: ${last}`);
  await rejects(a.apiKeysCreate({ apiKey: { name: '' } }), 400);
});
