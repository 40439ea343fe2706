/**
 * The console's login page in a real browser (Debian's Chromium driven by playwright-core) against
 * the real appliance in-process: keyboard login, who is signed in, the Italian switch, logout, the
 * visible errors (wrong password, throttled), and no console errors or CSP violations throughout.
 * Screenshots of each page go to test/browser/screenshots/ (git-ignored) for a human to look at.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { BUILTIN_ROLES } from '../../src/registry/index.ts';
import { hashPassword } from '../../src/shared/passwords.ts';
import { ADMIN_PASSWORD, startTestAppliance, type TestAppliance } from '../helpers/appliance.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/**
 * Chromium logs every non-2xx answer as a console error. Expected here, and only here: the first
 * /api/auth/me before login (401), refused logins (401, 429 while throttled), and the call made
 * after the session was revoked (401).
 */
function isExpectedRefusal(msg: ConsoleMessage): boolean {
  const url = msg.location().url;
  if (/status of 401/.test(msg.text())) return /\/api\/(auth\/me|auth\/login|config\/v1\/settings)$/.test(url);
  if (/status of 429/.test(msg.text())) return /\/api\/auth\/login$/.test(url);
  return false;
}

describe('the console login page', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is not installed` }, () => {
  let t: TestAppliance;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // TLS with the self-signed certificate, as a real appliance runs by default (Secure cookie too).
    t = await startTestAppliance({ tls: 'self-signed' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    context = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 720 }, ignoreHTTPSErrors: true });
    page = await context.newPage();
    page.on('console', (msg) => {
      if ((msg.type() === 'error' || msg.type() === 'warning') && !isExpectedRefusal(msg)) problems.push(`console ${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });

  const shot = (name: string) => page.screenshot({ path: SHOTS + name, fullPage: true });
  const form = () => page.locator('form.login');

  it('logs in from the keyboard and shows who is signed in', async () => {
    await page.goto(t.url + '/');
    await form().waitFor();
    assert.equal(await page.getByLabel('Username').evaluate((el) => el === document.activeElement), true, 'focus starts in Username');
    await shot('01-login.png');
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN_PASSWORD);
    await page.keyboard.press('Enter');

    await page.locator('#client-grid').waitFor(); // the Jump interface comes first
    await page.locator('#nav-account').click();
    await page.locator('#logged-in-as').waitFor();
    assert.equal(await page.locator('#logged-in-as').textContent(), 'Logged in as Administrator (admin)');
    assert.equal(await page.locator('#role').textContent(), 'Administrator');
    assert.equal(await page.locator('#is-admin').textContent(), 'Yes');
    await page.locator('#appliance-version').waitFor();
    assert.match((await page.locator('#appliance-version').textContent()) ?? '', /^\d+\.\d+\.\d+/);
    assert.equal(await page.locator('#appliance-fingerprint').textContent(), t.appliance.tls!.fingerprint);
    await shot('02-home.png');
  });

  it('keeps the session in the HttpOnly cookie only: no token in script-visible storage', async () => {
    const [cookie] = await context.cookies();
    assert.equal(cookie.name, 'jumpgate_session');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.secure, true, 'Secure over TLS');
    assert.equal(cookie.sameSite, 'Strict');
    const seen = await page.evaluate(() => ({
      cookie: document.cookie,
      local: Object.keys(localStorage),
      session: Object.keys(sessionStorage),
    }));
    assert.doesNotMatch(seen.cookie, /jumpgate_session/);
    assert.deepEqual(seen.local.filter((k) => k !== 'jumpgate.lang'), []);
    assert.deepEqual(seen.session, []);
  });

  it('switches to Italian, remembers it across a reload, and stays logged in', async () => {
    await page.getByRole('button', { name: 'Italiano' }).click();
    await page.getByRole('heading', { name: 'Il mio account' }).waitFor();
    assert.equal(await page.locator('#role').textContent(), 'Amministratore');
    assert.equal(await page.locator('html').getAttribute('lang'), 'it');
    await shot('03-home-it.png');

    await page.reload();
    await page.locator('#logged-in-as').waitFor();
    assert.equal(await page.locator('#logged-in-as').textContent(), 'Accesso effettuato come Administrator (admin)');
    assert.equal(await page.getByRole('button', { name: 'Italiano' }).getAttribute('aria-pressed'), 'true');
  });

  it('logs out with the CSRF token and returns to the login form', async () => {
    await page.getByRole('button', { name: 'Disconnetti' }).click();
    await form().waitFor();
    await page.getByLabel('Nome utente').waitFor();
    assert.equal(await page.locator('.notice').textContent(), 'Disconnessione effettuata.');
    assert.equal(await page.getByRole('button', { name: 'Accedi' }).count(), 1);
    await shot('04-logged-out-it.png');
    const me = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
    assert.equal(me, 401, 'the session is gone');
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByLabel('Username').waitFor();
  });

  it('shows a visible error for a wrong password', async () => {
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /username or password is wrong/);
    assert.equal(await alert.isVisible(), true);
    assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password field is cleared');
    await shot('05-wrong-password.png');
  });

  it('shows the wait when a username is throttled', async () => {
    const password_hash = await hashPassword('right-password');
    const { registry } = t.appliance;
    await registry.write(() =>
      registry.users.put({
        id: registry.users.nextId(), username: 'throttled', display_name: 'Throttled', email: '', is_admin: false, enabled: true,
        password_hash, personal_jump_item_role_id: BUILTIN_ROLES.startSessionsOnly, created_at: 0, updated_at: 0, last_login_at: null,
      }),
    );
    await page.getByLabel('Username').fill('throttled');
    for (let i = 0; i < 6; i++) {
      await page.getByLabel('Password').fill(`wrong-${i}`);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('button', { name: 'Log in' }).and(page.locator(':enabled')).waitFor();
    }
    const text = (await page.locator('#login-error').textContent()) ?? '';
    assert.match(text, /Too many failed login attempts\. Try again in \d+ seconds\./);
    assert.match(text, /too_many_requests/);
    await shot('06-throttled.png');
  });

  it('shows attacker-controlled names as text, never as markup', async () => {
    const password_hash = await hashPassword('right-password');
    const { registry } = t.appliance;
    const evil = '<img src=x onerror="document.title=\'owned\'">';
    await registry.write(() =>
      registry.users.put({
        id: registry.users.nextId(), username: 'evil', display_name: evil, email: '', is_admin: false, enabled: true,
        password_hash, personal_jump_item_role_id: BUILTIN_ROLES.startSessionsOnly, created_at: 0, updated_at: 0, last_login_at: null,
      }),
    );
    await page.getByLabel('Username').fill('evil');
    await page.getByLabel('Password').fill('right-password');
    await page.getByLabel('Password').press('Enter');
    await page.locator('#logged-in-as').waitFor();
    assert.equal(await page.locator('#logged-in-as').textContent(), `Logged in as ${evil} (evil)`);
    assert.equal(await page.locator('#app img').count(), 0);
    assert.equal(await page.locator('#role').textContent(), 'Support technician');
    assert.equal(await page.locator('#is-admin').textContent(), 'No');
    await shot('07-home-technician.png');
    await page.getByRole('button', { name: 'Log out' }).click();
    await form().waitFor();
  });

  it('goes back to the login page when an authenticated call answers 401', async () => {
    // The live feed's socket must be up first: revoking while its upgrade is on the way would make
    // the browser log that refused upgrade, which is not what this test is about.
    const feedLive = new Promise<void>((resolve) => {
      const onSocket = (ws: import('playwright-core').WebSocket): void => {
        if (!ws.url().endsWith('/api/console/v1/events')) return;
        page.off('websocket', onSocket);
        ws.once('framereceived', () => resolve());
      };
      page.on('websocket', onSocket);
    });
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.locator('#logged-in-as').waitFor();
    await feedLive;
    const { registry } = t.appliance;
    await registry.write(() => registry.tokens.removeFor({ kind: 'user', id: 1 })); // revoked elsewhere
    // The console's own wrapper, the same module instance main.js uses.
    const code = await page.evaluate(async (modulePath) => {
      const api = await import(modulePath);
      return api.get('/api/config/v1/settings').then(() => 'ok', (err: { code: string }) => err.code);
    }, '/js/api.js');
    assert.equal(code, 'unauthorized');
    await form().waitFor();
    assert.equal(await page.locator('.notice').textContent(), 'Your session has ended. Log in again.');
    await shot('08-session-ended.png');
  });

  it('had no console errors, page errors or CSP violations', () => {
    assert.deepEqual(problems, []);
  });
});
