// The demo front end (web/, built into the static folder by `make web`) in headless Debian
// chromium against the real suite: a new user signs up, adds three employees, edits one,
// deletes one, sees the charts, creates an API key, uses it with curl, revokes it and sees curl
// refused; field errors from the API appear next to their fields; no request leaves
// 127.0.0.1. Screenshots of each page: <build>/artifacts/browser/app-*.png
// (APIBUS_UPDATE_SCREENSHOTS=1 also refreshes the README's docs/screenshots/employees.png and
// api-keys.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Suite, buildDir, sourceDir, sleep } from '../schema/lib/suite.mjs';

const CHROMIUM = process.env.APIBUS_CHROMIUM ?? '/usr/bin/chromium';
const artifacts = join(buildDir, 'artifacts', 'browser');
mkdirSync(artifacts, { recursive: true });
const staticDir = process.env.APIBUS_STATIC_DIR ?? join(sourceDir, 'static');
const password = 'tulip-orbit-cascade';
const email = `browser-${process.pid}@example.com`;
let suite, context, profile, page, doc;
const foreign = [], pageErrors = [];

before(async () => {
  assert.ok(existsSync(join(staticDir, 'index.html')), `${staticDir}/index.html missing: run \`make web\``);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium (deploy/packages.txt)`);
  suite = await new Suite({ staticDir }).start();
  doc = await (await fetch(`${suite.url}/api/schema/?format=json`)).json();
  profile = mkdtempSync(join(tmpdir(), 'apibus-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
      '--disable-background-networking', '--disable-component-update'],
  });
  context.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(`${suite.url}/`) && !url.startsWith('data:')) foreign.push(url);
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
});

after(async () => {
  await context?.close();
  await suite?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function shot(name) {
  const path = join(artifacts, `app-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  if (process.env.APIBUS_UPDATE_SCREENSHOTS && ['employees', 'api-keys'].includes(name)) {
    mkdirSync(join(sourceDir, 'docs', 'screenshots'), { recursive: true });
    copyFileSync(path, join(sourceDir, 'docs', 'screenshots', `${name}.png`));
  }
}

const row = (name) => page.locator('#employee-list tbody tr', { has: page.locator('td.name', { hasText: name }) });
const curlEmployees = (key) => execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}',
  `${suite.url}/pegasus/employees/api/employees/`, '-H', `Authorization: Api-Key ${key}`]).toString();
const hasKeys = () => Object.keys(doc.paths).some((p) => p.startsWith('/api/keys/'));

test('sign up: field errors from the API, then a new account with a session', async () => {
  await page.goto(`${suite.url}/#/signup`);
  await page.waitForSelector('body[data-ready] #signup-form');
  await page.fill('#email', 'not-an-email');
  await page.fill('#password1', password);
  await page.fill('#password2', password);
  await page.click('#signup-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('[data-error-for="email"]')?.textContent.trim());
  assert.equal(await page.getAttribute('#email', 'aria-invalid'), 'true');
  await shot('signup');

  await page.fill('#email', email);
  await page.click('#signup-form button[type=submit]');
  await page.waitForURL(/#\/employees/);
  await page.waitForSelector('#no-employees');
  assert.equal(await page.textContent('#who'), email);
  const cookies = Object.fromEntries((await context.cookies(suite.url)).map((c) => [c.name, c]));
  assert.ok(cookies.sessionid?.httpOnly, 'an HttpOnly session cookie');
  assert.ok(cookies.csrftoken, 'a csrftoken cookie');
});

test('employees: add three, a field error, edit one, delete one, the charts', async () => {
  const add = async (name, department, salary) => {
    await page.fill('#employee-name', name);
    await page.selectOption('#employee-department', department);
    await page.fill('#employee-salary', salary);
    await page.click('#employee-form button[type=submit]');
  };
  // the department names Pegasus shows, not the codes
  assert.deepEqual(await page.locator('#employee-department option').allTextContents(),
    ['Human Resources', 'Finance', 'Engineering', 'Marketing', 'Sales']);
  await add('Ada Lovelace', 'engineering', '120000');
  await row('Ada Lovelace').waitFor();
  await add('Grace Hopper', 'engineering', '110000');
  await row('Grace Hopper').waitFor();

  // the API's "This field is required." next to the salary field
  await add('Linus', 'hr', '');
  const salaryError = page.locator('[data-error-for="salary"]');
  await salaryError.filter({ hasText: 'required' }).waitFor();
  assert.equal(await salaryError.textContent(), 'This field is required.');
  await shot('employees-error');
  await page.fill('#employee-salary', '60000');
  await page.click('#employee-form button[type=submit]');
  await row('Linus').waitFor();
  assert.match(await row('Linus').textContent(), /Human Resources/);
  assert.equal(await salaryError.textContent(), '');
  assert.match(await page.textContent('#page-info'), /Page 1 of 1 · 3 employees/);

  await row('Grace Hopper').locator('[data-action=edit]').click();
  assert.equal(await page.inputValue('#employee-name'), 'Grace Hopper');
  await page.fill('#employee-name', 'Grace B. Hopper');
  await page.selectOption('#employee-department', 'finance');
  await page.fill('#employee-salary', '135000');
  await page.click('#employee-form button[type=submit]');
  await row('Grace B. Hopper').waitFor();
  assert.match(await row('Grace B. Hopper').textContent(), /Finance.*\$135,000/);

  await row('Linus').locator('[data-action=delete]').click();
  await row('Linus').waitFor({ state: 'detached' });
  await page.waitForFunction(() => /2 employees/.test(document.querySelector('#page-info')?.textContent ?? ''));

  const bars = page.locator('figure[data-chart="Total cost by department"] rect.bar');
  await page.waitForFunction(() => document.querySelectorAll('figure[data-chart="Total cost by department"] rect.bar').length === 2);
  const values = Object.fromEntries(await bars.evaluateAll((els) => els.map((e) => [e.dataset.label, Number(e.dataset.value)])));
  assert.deepEqual(values, { Engineering: 120000, Finance: 135000 });
  await shot('employees');
});

test('API keys: create (shown once, copy), use with curl, revoke, curl refused', async (t) => {
  await page.click('#nav a[href="#/profile"]');
  await page.waitForSelector('#api-keys');
  if (!hasKeys()) {
    await shot('profile');
    return t.skip('no /api/keys/ in this suite (services/keys is not built)');
  }
  await page.waitForSelector('#no-keys');
  await page.fill('#key-name', 'curl from the browser test');
  await page.click('#key-form button[type=submit]');
  const key = (await page.locator('#new-key').textContent()).trim();
  assert.match(key, /^[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}$/);
  assert.match(await page.textContent('#new-key-box'), /only this once/);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.url });
  await page.click('#copy-key');
  await page.locator('#copy-status', { hasText: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
  const listed = page.locator(`#key-list tr[data-key-prefix="${key.slice(0, 8)}"]`);
  await listed.waitFor();
  assert.match(await listed.textContent(), /Active/);
  assert.ok(!(await page.textContent('#key-list')).includes(key.slice(9)), 'the list never shows the secret');
  await shot('api-keys');

  assert.equal(curlEmployees(key), '200');
  await listed.locator('[data-action=revoke]').click();
  await page.waitForSelector('#revoked-note');
  await listed.locator('.status', { hasText: 'Revoked' }).waitFor();
  let code;
  for (let i = 0; i < 30 && (code = curlEmployees(key)) === '200'; i++) await sleep(100);
  assert.equal(code, '401', 'the revoked key is refused');
  await shot('api-keys-revoked');
});

test('log out, log in again through the form', async () => {
  await page.click('#logout');
  await page.waitForSelector('#login-form');
  await page.fill('#email', email);
  await page.fill('#password', 'wrong-password-1');
  await page.click('#login-form button[type=submit]');
  await page.locator('#login-form .form-error', { hasText: 'Unable to log in' }).waitFor();
  await shot('login');
  await page.fill('#password', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForURL(/#\/employees/);
  await row('Ada Lovelace').waitFor();
});

// RFC 6238 as authenticator apps compute it: base32 secret, SHA-1, 30 s steps, 6 digits.
function totp(secret, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const o = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, '0');
}

test('two-factor: log-in asks for the code; a wrong one is shown at the field, the right one signs in', async (t) => {
  if (!doc.paths['/api/auth/verify-otp/'] || !doc.paths['/api/auth/2fa/setup/']) return t.skip('no two-factor in this suite');
  // enrol through the API (the test's own calls), then log in through the page
  const post = async (path, body, token) => {
    const r = await fetch(`${suite.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body ?? {}) });
    assert.ok(r.ok, `${path}: ${r.status} ${await r.clone().text()}`);
    return r.json();
  };
  const { jwt } = await post('/api/auth/login/', { email, password });
  const { secret } = await post('/api/auth/2fa/setup/', {}, jwt.access);
  const now = Math.floor(Date.now() / 30000);
  await post('/api/auth/2fa/confirm/', { otp: totp(secret, now) }, jwt.access);

  await page.click('#logout');
  await page.waitForSelector('#login-form');
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#otp-form');
  await page.fill('#otp', totp(secret, now - 5));
  await page.click('#otp-form button[type=submit]');
  await page.locator('[data-error-for="otp"]', { hasText: 'Invalid OTP code' }).waitFor();
  await shot('login-otp');
  await page.fill('#otp', totp(secret, now + 1)); // a code is good once: the next step's (within the skew)
  await page.click('#otp-form button[type=submit]');
  await page.waitForURL(/#\/employees/);
  await row('Ada Lovelace').waitFor();
});

test('no request left the machine; no page errors', () => {
  assert.deepEqual(foreign, []);
  assert.deepEqual(pageErrors, []);
});
