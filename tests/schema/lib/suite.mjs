// A whole apibus suite for node tests: the gateway, every service binary of the build (as
// deploy/run-local finds them) and schema-svc, on free ports with a private data folder.
// Used by tests/schema/*.test.mjs and tests/browser/*.test.mjs.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, existsSync, statSync, rmSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';

export const SECRET = 'apibus-test-secret-0123456789abcdef-0123456789';
export const buildDir = process.env.APIBUS_BUILD_DIR;
export const sourceDir = process.env.APIBUS_SOURCE_DIR;
if (!buildDir || !sourceDir) throw new Error('APIBUS_BUILD_DIR and APIBUS_SOURCE_DIR must be set (ctest sets them)');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The service binaries deploy/run-local would start, role name => path.
export function serviceBinaries() {
  const found = new Map();
  const servicesDir = join(buildDir, 'services');
  for (const d of existsSync(servicesDir) ? readdirSync(servicesDir) : []) {
    const bin = join(servicesDir, d, `apibus-${d}`);
    if (existsSync(bin) && statSync(bin).isFile()) found.set(d, bin);
  }
  const schema = join(buildDir, 'schema-svc', 'apibus-schema');
  if (!existsSync(schema)) throw new Error(`${schema} is missing: build first`);
  found.set('schema', schema);
  return found;
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = createServer().once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function freeBase(span) {
  for (let i = 0; i < 50; i++) {
    const base = 20000 + Math.floor(Math.random() * 40000);
    let ok = true;
    for (let p = base; p < base + span && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error('no free ports');
}

export class Suite {
  constructor({ staticDir, extraEnv = {} } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'apibus-schema-'));
    this.staticDir = staticDir ?? join(this.dir, 'static');
    this.extraEnv = extraEnv;
    this.procs = new Map(); // name => child
  }

  async start() {
    const base = await freeBase(20);
    this.port = base;
    this.busBase = base + 1; // bus ports: busBase + 0..13
    this.url = `http://127.0.0.1:${this.port}`;
    this.binaries = serviceBinaries();
    this.env = {
      PATH: process.env.PATH,
      APIBUS_DATA_DIR: join(this.dir, 'var'),
      APIBUS_HTTP_PORT: String(this.port),
      APIBUS_BUS_PORT_BASE: String(this.busBase),
      APIBUS_JWT_SECRET: SECRET,
      APIBUS_STATIC_DIR: this.staticDir,
      APIBUS_REQUIRED_ROLES: [...this.binaries.keys()].join(','),
      APIBUS_FRAGMENT_PUSH_MS: '300',
      APIBUS_WORKERS: '2',
      ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? 'detect_leaks=0',
      UBSAN_OPTIONS: process.env.UBSAN_OPTIONS ?? '',
      ...this.extraEnv,
    };
    this.spawn('gateway', join(buildDir, 'gateway', 'apibus-gateway'));
    for (const [name, bin] of this.binaries) this.spawn(name, bin);
    await this.waitReady();
    await this.waitDocument([...this.binaries.keys()]);
    return this;
  }

  spawn(name, bin) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: build first`);
    const log = openSync(join(this.dir, `${name}.log`), 'a');
    const child = spawn(bin, [], { env: this.env, stdio: ['ignore', log, log] });
    child.on('error', (e) => { this.spawnError = e; });
    this.procs.set(name, child);
    return child;
  }

  async stopProc(name) {
    const child = this.procs.get(name);
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(t);
  }

  async waitReady(timeoutMs = 20000) {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      try {
        if ((await fetch(`${this.url}/readyz`)).status === 200) return;
      } catch {}
      await sleep(100);
    }
    throw new Error(`suite not ready; logs in ${this.dir}\n${this.logs()}`);
  }

  // Until /api/health/ shows each service up and the document holds its fragment.
  async waitDocument(services, predicate = () => true, timeoutMs = 20000) {
    const until = Date.now() + timeoutMs;
    let last;
    while (Date.now() < until) {
      try {
        last = await (await fetch(`${this.url}/api/health/`)).json();
        const up = new Set(last.services.filter((s) => s.status === 'up').map((s) => s.service));
        if (services.every((s) => up.has(s)) && predicate(last)) return last;
      } catch {}
      await sleep(100);
    }
    throw new Error(`document never covered ${services}: ${JSON.stringify(last)}\n${this.logs()}`);
  }

  token(userId = 1) {
    return execFileSync(join(buildDir, 'cli', 'apibus'), ['token', '--user-id', String(userId)], {
      env: { ...this.env },
    }).toString().trim();
  }

  logs() {
    return [...this.procs.keys(), 'gateway']
      .map((n) => join(this.dir, `${n}.log`))
      .filter((p) => existsSync(p))
      .map((p) => `--- ${basename(p)}\n${readFileSync(p, 'utf8').split('\n').slice(-15).join('\n')}`)
      .join('\n');
  }

  async stop() {
    await Promise.all([...this.procs.keys()].map((n) => this.stopProc(n)));
    if (!process.env.TS_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}
