// Swagger UI and Redoc in headless chromium against the real suite: every operation of the
// document renders, "Authorize" with a bearer token and "Try it out" reach the same gateway,
// and no request leaves 127.0.0.1. Screenshots: <build>/artifacts/browser/*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Suite, buildDir, sourceDir } from '../schema/lib/suite.mjs';

const CHROMIUM = process.env.APIBUS_CHROMIUM ?? '/usr/bin/chromium';
const artifacts = join(buildDir, 'artifacts', 'browser');
mkdirSync(artifacts, { recursive: true });
const staticDir = join(sourceDir, 'static');
let suite, context, profile, doc;
const foreign = [];

before(async () => {
  assert.ok(existsSync(join(staticDir, 'docs', 'swagger-ui', 'swagger-ui-bundle.js')),
    'docs assets missing: run `make deps` (tools/npm-deps)');
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium (deploy/packages.txt)`);
  suite = new Suite({ staticDir });
  await suite.start();
  doc = await (await fetch(`${suite.url}/api/schema/?format=json`)).json();
  profile = mkdtempSync(join(tmpdir(), 'apibus-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
      '--disable-background-networking', '--disable-component-update'],
  });
  // same-origin blob: URLs (Redoc's web worker) and data: URLs never touch the network
  context.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(`${suite.url}/`) && !url.startsWith(`blob:${suite.url}/`) && !url.startsWith('data:'))
      foreign.push(url);
  });
});

after(async () => {
  await context?.close();
  await suite?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const operationIds = () => Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));

test('Swagger UI renders every operation; Authorize and Try it out work against the gateway', async () => {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${suite.url}/api/schema/swagger-ui/`);
  await page.waitForSelector('.opblock', { timeout: 30000 });
  const shown = await page.$$eval('.opblock .opblock-summary-operation-id', (els) => els.map((e) => e.textContent.trim()));
  assert.deepEqual([...shown].sort(), operationIds().sort());
  await page.screenshot({ path: join(artifacts, 'swagger-ui.png'), fullPage: true });

  // Authorize: the jwtAuth scheme takes the bare token
  await page.click('button.authorize');
  const dialog = page.locator('.dialog-ux');
  const jwtBlock = dialog.locator('.auth-container', { hasText: 'jwtAuth' });
  await jwtBlock.locator('input').fill(suite.token(1));
  await jwtBlock.locator('button.authorize').click();
  await page.screenshot({ path: join(artifacts, 'swagger-ui-authorize.png') });
  await dialog.locator('button.close-modal').click();

  // Try it out: employees_list, executed by the browser against this gateway
  const op = page.locator('.opblock', { hasText: 'employees_list' }).first();
  await op.locator('.opblock-summary').click();
  await op.locator('button.try-out__btn').click();
  const response = page.waitForResponse((r) => r.url().includes('/pegasus/employees/api/employees/'));
  await op.locator('button.execute').click();
  const r = await response;
  assert.equal(r.status(), 200, 'the bearer token from Authorize was sent');
  assert.equal(new URL(r.url()).origin, suite.url);
  const cell = op.locator('.live-responses-table tr.response .response-col_status').first();
  await cell.waitFor();
  const status = await cell.textContent();
  assert.match(status, /200/);
  await op.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, 'swagger-ui-try-it-out.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('Redoc renders every operation', async () => {
  const page = await context.newPage();
  await page.goto(`${suite.url}/api/schema/redoc/`);
  await page.waitForSelector('[data-section-id^="operation/"]', { timeout: 30000 });
  const sections = await page.$$eval('[data-section-id^="operation/"]', (els) =>
    [...new Set(els.map((e) => e.getAttribute('data-section-id')))]);
  assert.deepEqual(sections.map((s) => s.replace(/^operation\//, '')).sort(), operationIds().sort());
  const schemes = await page.textContent('body');
  for (const name of ['ApiKeyAuth', 'jwtAuth', 'cookieAuth']) assert.ok(schemes.includes(name), name);
  await page.screenshot({ path: join(artifacts, 'redoc.png'), fullPage: true });
  await page.close();
});

test('no request left the machine', () => {
  assert.deepEqual(foreign, []);
});
