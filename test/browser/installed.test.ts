/**
 * The console in a real browser against the real appliance (a child process over TLS with its
 * self-signed certificate) and a REALLY INSTALLED Jump Client: the `.bin` downloaded from the
 * installer's public link, run with `sh`, the agent running as the test account. Log in through
 * the form, find the client by a tag search, read its statistics (this machine's hostname and OS),
 * Jump, run a command in the terminal and see its output, upload a file through the file panel and
 * see it listed and on disk (owned by the account), end the session and see the shell gone. No
 * console errors, CSP violations or JavaScript dialogs. Screenshots: screenshots/30-installed-*.png.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { E2E_ADMIN_PASSWORD, startE2eAppliance, stopAll, type E2eAppliance } from '../helpers/e2e-appliance.ts';
import { createInstaller, createInstalls, downloadBin, ensureTestUser, installClient, installParent, pidOf, run, TEST_USER, waitForClient } from '../helpers/e2e-clients.ts';
import { eventually } from '../helpers/hub-client.ts';
import { ARGS, CHROMIUM, logIn, SHOTS, visibleNames, watch } from './console-world.ts';

const TAG = 'browser-e2e';
const NAME = 'installed-box';
const AGENT = join(import.meta.dirname, '..', '..', 'dist', 'agent', 'jumpgate-agent');
const UPLOAD = `browser-upload-${process.pid}.txt`;
const CONTENT = 'uploaded through the console to an installed Jump Client\n';
/** NAME from /etc/os-release: what the agent reports as the operating system. */
const OS_NAME = /^NAME="?([^"\n]+)"?$/m.exec(existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '')?.[1] ?? 'Linux';

const missing = !existsSync(CHROMIUM) ? `${CHROMIUM} is not installed` : !existsSync(AGENT) ? `${AGENT} is not built (node scripts/build-agent.mjs)` : false;

describe('the console with an installed Jump Client', { skip: missing }, () => {
  const installs = createInstalls();
  const problems: string[] = [];
  const dialogs: string[] = [];
  let a: E2eAppliance | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let account: { uid: number; gid: number };
  let installDir = '';
  let binDir = '';
  let home = '';

  before(async () => {
    account = ensureTestUser();
    home = readHome();
    a = await startE2eAppliance();
    assert.match(a.url, /^https:/, 'the appliance serves TLS with its self-signed certificate');
    const parent = installs.track(installParent());
    binDir = installs.track(mkdtempSync(join(tmpdir(), 'jumpgate-e2e-bin-')));
    const installer = await createInstaller(a, { name: NAME, tag: TAG, comments: 'Installed by the browser test' });
    const bin = await downloadBin(a, installer.installer_id, binDir);
    installDir = (await installClient(bin, parent, 'jc')).dir;
    installs.pid(pidOf(installDir));
    await waitForClient(a, (r) => r.name === NAME && r.status === 'online' && r.statistics?.hostname === hostname(), 20_000, 'the installed client online with statistics');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 }, ignoreHTTPSErrors: true });
    page = await context.newPage();
    watch(page, problems, dialogs);
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    if (installDir && existsSync(join(installDir, 'uninstall'))) {
      const r = await run(join(installDir, 'uninstall'), [], { timeoutMs: 20_000 }).catch((e: Error) => ({ status: -1, stdout: '', stderr: e.message }));
      if (r.status !== 0) console.error(`uninstall: ${r.status} ${r.stderr}`);
    }
    await installs.cleanup(); // agents still running, by PID; install and download directories
    await a?.stop();
    await stopAll();
    if (home) rmSync(join(home, UPLOAD), { force: true });
  });

  const rowNamed = (name: string) => page.locator('.grid-row:not([hidden])').filter({ has: page.locator('.cell-name', { hasText: name }) });
  const shot = (name: string) => page.screenshot({ path: SHOTS + name });
  let shellPid = 0;

  it('logs in through the form and finds the client by a tag search; its statistics are this machine', async () => {
    await logIn(page, a!.url, 'admin', E2E_ADMIN_PASSWORD);
    await rowNamed(NAME).waitFor();
    await page.getByRole('button', { name: 'Fields to search' }).click();
    for (const field of ['Comments', 'Console user', 'Jump Group', 'Jump method', 'Last access', 'Name', 'Private IP', 'Public IP', 'Status']) {
      await page.locator('#search-fields').getByLabel(field, { exact: true }).uncheck();
    }
    assert.equal(await page.locator('#search-fields').getByLabel('Tag', { exact: true }).isChecked(), true);
    await page.keyboard.press('Escape');
    const search = page.getByLabel('Search Jump Clients');
    await search.fill('no-such-tag');
    await search.press('Enter');
    await eventually(async () => (await visibleNames(page)).length === 0, 5000, 'no match for another tag');
    await search.fill(TAG);
    await search.press('Enter');
    await page.locator('#jc-count', { hasText: '1 Jump Client' }).waitFor();
    assert.deepEqual(await visibleNames(page), [NAME]);
    await rowNamed(NAME).locator('.cell-status', { hasText: 'Online' }).waitFor();

    await rowNamed(NAME).click();
    const stats = page.locator('#stats-details');
    await stats.getByText(OS_NAME).waitFor(); // the full row, with what the agent reported
    const text = (await stats.innerText()).replace(/\s+/g, ' ');
    assert.ok(text.includes(`Hostname ${hostname()}`), `hostname of this machine in: ${text}`);
    assert.match(text, /Console user /, 'the console user field is there');
    assert.ok(text.includes(`Tag ${TAG}`), text);
    assert.equal(await page.locator('#stats-title').textContent(), NAME);
    await shot('30-installed-jump.png');
  });

  it('jumps, runs a command in the real shell and shows its output', async () => {
    await rowNamed(NAME).dblclick();
    await page.locator('[role="tab"][aria-selected="true"]', { hasText: NAME }).waitFor();
    await page.locator('.badge.session-active', { hasText: 'Connected' }).waitFor({ timeout: 15_000 });
    const terminal = page.locator('.term-host .xterm-rows');
    await eventually(async () => /\$\s*$/m.test(await terminal.innerText()), 10_000, 'a shell prompt');
    await page.locator('.term-host').click();
    await page.keyboard.type('whoami; echo browser-$((40+2))');
    await page.keyboard.press('Enter');
    await eventually(async () => new RegExp(`\\n${TEST_USER}\\s*\\nbrowser-42\\s*\\n`).test(await terminal.innerText()), 10_000, 'whoami and the echo in the terminal');
    await page.keyboard.type('echo shell-pid=$$');
    await page.keyboard.press('Enter');
    await eventually(async () => {
      const m = /\nshell-pid=(\d+)/.exec(await terminal.innerText());
      shellPid = m ? Number(m[1]) : 0;
      return shellPid > 0;
    }, 10_000, 'the shell pid');
    assert.ok(existsSync(`/proc/${shellPid}`), 'the shell runs on this machine');
    assert.equal(statSync(`/proc/${shellPid}`).uid, account.uid, 'as the install account');
  });

  it("opens the file panel in the account's home folder", async () => {
    const panel = page.locator('.dropzone');
    // The panel first lists '~' (the agent's home folder): either the listing or an error appears.
    await panel.locator('table.files, .alert').first().waitFor({ timeout: 10_000 });
    await shot('30-installed-files.png');
    const error = await panel.locator('.alert').allTextContents();
    assert.deepEqual(error, [], `the first listing ('~') failed`);
    await panel.getByRole('link', { name: '.profile' }).waitFor();
    assert.equal(await page.getByLabel('Remote folder').inputValue(), home);
  });

  it('uploads a file through the file panel: listed, and on disk with its content, owned by the account', async () => {
    const panel = page.locator('.dropzone');
    if ((await page.getByLabel('Remote folder').inputValue()) !== home) {
      // Typed into the path box, so the upload is checked even when the first listing failed.
      await page.getByLabel('Remote folder').fill(home);
      await page.getByLabel('Remote folder').press('Enter');
    }
    await panel.getByRole('link', { name: '.profile' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.getByLabel('Remote folder').inputValue(), home);
    await page.locator('input[type="file"][id^="files-pick-"]').setInputFiles({ name: UPLOAD, mimeType: 'text/plain', buffer: Buffer.from(CONTENT) });
    await panel.getByRole('link', { name: UPLOAD }).waitFor({ timeout: 10_000 });
    await shot('30-installed-session.png');
    const file = join(home, UPLOAD);
    assert.equal(readFileSync(file, 'utf8'), CONTENT);
    const st = statSync(file);
    assert.equal(st.uid, account.uid, 'owned by the install account');
    assert.equal(st.gid, account.gid);
  });

  it('ends the session: the shell is gone from this machine', async () => {
    assert.ok(shellPid > 0);
    await page.getByRole('button', { name: 'End session' }).click();
    await page.locator('.badge.session-ended').waitFor();
    await eventually(() => !existsSync(`/proc/${shellPid}`), 5000, 'the shell to end');
    const sessions = await a!.admin.get('/api/session/v1');
    assert.equal((sessions.body as any[]).length, 0, JSON.stringify(sessions.body));
    await shot('30-installed-ended.png');
  });

  it('shows the client going offline and coming back without Refresh when it stops and starts on the machine', async () => {
    await page.getByRole('link', { name: 'Jump Clients' }).click();
    await rowNamed(NAME).locator('.cell-status', { hasText: 'Online' }).waitFor();
    assert.equal((await run(join(installDir, 'init-script'), ['stop'])).status, 0);
    await rowNamed(NAME).locator('.cell-status', { hasText: 'Offline' }).waitFor({ timeout: 15_000 });
    assert.equal((await run(join(installDir, 'init-script'), ['start'])).status, 0);
    installs.pid(pidOf(installDir));
    await rowNamed(NAME).locator('.cell-status', { hasText: 'Online' }).waitFor({ timeout: 15_000 });
  });

  it('had no console errors, page errors, CSP violations or JavaScript dialogs', () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(dialogs, []);
  });
});

/** The test account's home folder (where the file panel starts). */
function readHome(): string {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${TEST_USER}:`));
  return line?.split(':')[5] ?? '';
}
