#!/usr/bin/env node
// Makes api-client/src/generated/ from an OpenAPI document with the pinned @hey-api/openapi-ts
// and the settings in api-client/openapi-ts.config.mjs. Offline and deterministic: the same
// document gives the same bytes.
//   node tools/api-client-gen.mjs --bin-dir build/release      the offline dump (`make api-client`)
//   node tools/api-client-gen.mjs --url http://localhost:8000  the running suite (`make build-api-client`)
//   node tools/api-client-gen.mjs --schema FILE                a document on disk
//   ... --check   generate into a temporary folder and fail when it differs from the committed
//                 client (`make test` runs this as the ctest `client_drift`)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const clientDir = join(top, 'api-client');
const committed = join(clientDir, 'src', 'generated');

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const check = args.includes('--check');
const work = mkdtempSync(join(tmpdir(), 'apibus-api-client-'));
const schemaFile = join(work, 'openapi.json');

try {
  if (opt('--schema')) {
    writeFileSync(schemaFile, readFileSync(opt('--schema')));
  } else if (opt('--url')) {
    const url = `${opt('--url').replace(/\/$/, '')}/api/schema/?format=json`;
    const res = await fetch(url).catch((e) => { throw new Error(`${url}: ${e.cause?.message ?? e.message} (is the suite running? make run)`); });
    if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
    writeFileSync(schemaFile, await res.text());
  } else {
    const binDir = resolve(opt('--bin-dir') ?? process.env.APIBUS_BIN_DIR ?? join(top, 'build', 'release'));
    execFileSync(join(binDir, 'cli', 'apibus'), ['schema', '--format', 'openapi-json', '--file', schemaFile,
      '--bin-dir', binDir], { stdio: ['ignore', 'inherit', 'inherit'] });
  }

  const out = check ? join(work, 'generated') : committed;
  const { createClient } = await import(join(top, 'node_modules', '@hey-api', 'openapi-ts', 'dist', 'index.mjs'));
  const config = (await import(join(clientDir, 'openapi-ts.config.mjs'))).default;
  process.chdir(clientDir);
  await createClient({ ...config, input: schemaFile, output: { ...config.output, path: out },
    logs: { ...config.logs, level: 'error' } });

  if (!check) {
    console.log(`api-client: generated ${relative(top, out)}/ from ${opt('--schema') ?? opt('--url') ?? 'the offline dump'}`);
  } else {
    const list = (dir) => readdirSync(dir, { recursive: true }).filter((f) => statSync(join(dir, f)).isFile()).sort();
    const want = list(out), have = list(committed);
    const differ = [...new Set([...want, ...have])].filter((f) =>
      !want.includes(f) || !have.includes(f) || !readFileSync(join(out, f)).equals(readFileSync(join(committed, f))));
    if (differ.length) {
      try {
        execFileSync('diff', ['-ru', committed, out], { stdio: ['ignore', 'inherit', 'inherit'] });
      } catch {}
      console.error(`\napi-client: the committed client differs from what the current schema generates ` +
        `(${differ.join(', ')}).\nRun \`make api-client\` and commit api-client/src/generated/.`);
      process.exitCode = 1;
    } else {
      console.log(`api-client: ${want.length} generated files match the current schema`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
