/**
 * The console in a real browser (Debian's Chromium driven by playwright-core) against the real
 * appliance and connected Jump Clients: log in, find a client by a tag search, its statistics,
 * Jump, a command in the terminal, an upload seen in the listing, the system information, live
 * status changes without Refresh, remove with multi-select, the installer wizard and its
 * download, Italian, attacker-controlled names as text, the administration pages and a recording
 * played back, and 100,000 items scrolling with a bounded number of rows in the page. No console
 * errors, CSP violations or JavaScript dialogs throughout. Screenshots of each main page go to
 * test/browser/screenshots/ (git-ignored) for a human to look at.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { oauthToken } from '../helpers/config.ts';
import { eventually } from '../helpers/hub-client.ts';
import { CHROMIUM, connectJumpClient, logIn, startConsoleWorld, visibleNames, type ConnectedClient, type ConsoleWorld } from './console-world.ts';

const EVIL = '<img src=x onerror=alert(1)>';

describe('the console', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is not installed` }, () => {
  let w: ConsoleWorld;
  let web: ConnectedClient;
  let sessionId = '';

  before(async () => {
    w = await startConsoleWorld();
    web = await connectJumpClient(w, { name: 'web-01', hostname: 'web-01', tag: 'linux-servers', comments: 'Rack 4, front office' });
    await connectJumpClient(w, { name: 'db-01', hostname: 'db-01', tag: 'databases' }, { console_user: 'bob' });
    await connectJumpClient(w, { name: EVIL, hostname: 'evil-host', comments: EVIL });
  });
  after(async () => {
    await w?.stop();
  });

  const page = () => w.page;
  const grid = () => page().locator('#client-grid');
  const rowNamed = (name: string) => page().locator('.grid-row:not([hidden])').filter({ has: page().locator('.cell-name', { hasText: name }) });

  it('logs in and shows the Jump interface with the groups, the list and the live feed', async () => {
    await logIn(page(), w.t.url);
    await page().locator('#jc-count', { hasText: '3 Jump Clients' }).waitFor();
    await page().locator('.feed-live').waitFor();
    assert.deepEqual(await visibleNames(page()), [EVIL, 'db-01', 'web-01']);
    const tree = page().getByRole('tree', { name: 'Jump Groups and tags' });
    assert.equal(await tree.getByRole('treeitem', { name: 'user:admin' }).count(), 1);
    await tree.locator('[data-toggle="personal:1"]').click();
    await tree.getByRole('treeitem', { name: 'linux-servers' }).click();
    await page().locator('#jc-count', { hasText: '1 Jump Client' }).waitFor();
    assert.deepEqual(await visibleNames(page()), ['web-01']);
    await tree.getByRole('treeitem', { name: 'All Jump Items' }).click();
    await page().locator('#jc-count', { hasText: '3 Jump Clients' }).waitFor();
    await w.shot('10-jump.png');
  });

  it('finds a client by a tag search chosen with the magnifier, sorts, and shows its statistics', async () => {
    await page().getByRole('button', { name: 'Fields to search' }).click();
    for (const field of ['Comments', 'Console user', 'Jump Group', 'Jump method', 'Last access', 'Name', 'Private IP', 'Public IP', 'Status']) {
      await page().locator('#search-fields').getByLabel(field, { exact: true }).uncheck();
    }
    assert.equal(await page().locator('#search-fields').getByLabel('Tag', { exact: true }).isChecked(), true);
    await page().getByLabel('Search Jump Clients').fill('linux');
    await page().getByLabel('Search Jump Clients').press('Enter');
    await page().locator('#jc-count', { hasText: '1 Jump Client' }).waitFor();
    assert.deepEqual(await visibleNames(page()), ['web-01']);
    await rowNamed('web-01').click();
    const stats = page().locator('#stats-details');
    await stats.getByText('web-01.example.test').waitFor();
    assert.match((await stats.textContent()) ?? '', /Console user\s*alice/);
    assert.match((await stats.textContent()) ?? '', /Rack 4, front office/);
    await w.shot('11-search-and-statistics.png');
    // A passive client's pane names its wake port as last reported (set here in the registry).
    const { registry } = w.t.appliance;
    const dbId = registry.clients.summaries().find((c) => c.name === 'db-01')!.id;
    const asPassive = async (passive: boolean) =>
      registry.write(() => {
        const row = registry.clients.get(dbId)!;
        registry.clients.put({ ...row, connection_type: passive ? 'passive' : 'active', passive_listen: passive ? { port: 5832, address: '127.0.0.1' } : null });
      });
    await asPassive(true);
    await page().getByLabel('Search Jump Clients').fill('');
    await page().getByLabel('Search Jump Clients').press('Enter');
    await rowNamed('db-01').click();
    await stats.getByText('Passive · wake port 5832 (127.0.0.1)').waitFor();
    await asPassive(false);
    await page().getByLabel('Search Jump Clients').fill('');
    await page().getByLabel('Search Jump Clients').press('Enter');
    await page().locator('#jc-count', { hasText: '3 Jump Clients' }).waitFor();
    await page().locator('button.sort[data-sort="console_user"]').click();
    await page().locator('button.sort[data-sort="console_user"]').click();
    await page().locator('[role="columnheader"][aria-sort="descending"] button[data-sort="console_user"]').waitFor();
    await eventually(async () => (await visibleNames(page()))[0] === 'db-01', 3000, 'bob before alice, descending');
    await page().locator('button.sort[data-sort="name"]').click();
  });

  it('jumps, runs a command in the terminal that follows the window size, uploads a file and shows system information', async () => {
    await rowNamed('web-01').dblclick();
    await page().locator('[role="tab"][aria-selected="true"]', { hasText: 'web-01' }).waitFor();
    await page().locator('.badge.session-active', { hasText: 'Connected' }).waitFor();
    const terminal = page().locator('.term-host .xterm-rows');
    await terminal.getByText('fake$').first().waitFor();
    await page().locator('.term-host').click();
    await page().keyboard.type('echo jumpgate-console-ok');
    await page().keyboard.press('Enter');
    await eventually(async () => /\njumpgate-console-ok\s*\n?fake\$/.test(await terminal.innerText()), 5000, 'command output');
    const resizes = web.agent.resizes.length;
    await page().setViewportSize({ width: 1200, height: 800 });
    await eventually(() => web.agent.resizes.length > resizes, 5000, 'a resize after the window changed');
    await page().setViewportSize({ width: 1440, height: 900 });

    const panel = page().locator('.dropzone');
    await panel.getByRole('link', { name: 'readme.txt' }).waitFor(); // the agent's home folder first
    assert.equal(await page().getByLabel('Remote folder').inputValue(), '/home/tech');
    const [download] = await Promise.all([page().waitForEvent('download'), panel.getByRole('link', { name: 'readme.txt' }).click()]);
    assert.equal(readFileSync(await download.path()).toString(), 'hello from the fake agent\n');
    const dataTransfer = await page().evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['uploaded through the console\n'], 'notes.txt', { type: 'text/plain' }));
      return dt;
    });
    await panel.dispatchEvent('drop', { dataTransfer });
    await panel.getByRole('link', { name: 'notes.txt' }).waitFor();
    assert.equal(web.agent.files.get('/home/tech/notes.txt')?.data.toString(), 'uploaded through the console\n');
    await page().getByRole('button', { name: 'Up one folder' }).click();
    await panel.getByRole('button', { name: 'tech/' }).waitFor();
    await panel.getByRole('button', { name: 'tech/' }).click();
    await panel.getByRole('link', { name: 'notes.txt' }).waitFor();
    await page().locator('.sysinfo').getByText('Debian GNU/Linux 12').waitFor();
    await w.shot('12-session.png');
    sessionId = await page().evaluate(async () => {
      const list = await (await fetch('/api/session/v1')).json();
      return list[0].session_id as string;
    });
    await page().getByRole('button', { name: 'End session' }).click();
    await page().locator('.badge.session-ended').waitFor();
  });

  it('shows status changes and new clients without Refresh', async () => {
    await page().getByRole('link', { name: 'Jump Clients' }).click();
    await rowNamed('db-01').locator('.cell-status', { hasText: 'Online' }).waitFor();
    const db = w.agents[1];
    db.close();
    await rowNamed('db-01').locator('.cell-status', { hasText: 'Offline' }).waitFor();
    await connectJumpClient(w, { name: 'new-arrival', hostname: 'new-arrival' });
    await rowNamed('new-arrival').waitFor();
    await page().locator('#jc-count', { hasText: '4 Jump Clients' }).waitFor();
  });

  it('renders attacker-controlled names as text', async () => {
    await rowNamed(EVIL).click();
    assert.equal(await page().locator('#stats-title').textContent(), EVIL);
    assert.equal(await rowNamed(EVIL).locator('.cell-name').textContent(), EVIL);
    assert.equal(await page().locator('#app img, body img').count(), 0);
    assert.deepEqual(w.dialogs, []);
  });

  it('removes several clients selected with ctrl-click, and handles the list from the keyboard', async () => {
    await connectJumpClient(w, { name: 'old-01', hostname: 'old-01' });
    await connectJumpClient(w, { name: 'old-02', hostname: 'old-02' });
    await rowNamed('old-02').waitFor();
    await grid().focus();
    await page().keyboard.press('Home');
    await page().keyboard.press('Shift+ArrowDown');
    assert.equal(await page().locator('.grid-row[aria-selected="true"]').count(), 2, 'shift+arrow extends the selection');
    await rowNamed('old-01').click();
    await rowNamed('old-02').click({ modifiers: ['Control'] });
    assert.equal(await page().locator('.grid-row[aria-selected="true"]').count(), 2);
    await page().locator('#stats-empty', { hasText: '2 Jump Clients selected.' }).waitFor();
    await page().locator('#jc-remove').click();
    const dialog = page().getByRole('dialog', { name: 'Remove Jump Clients' });
    await w.shot('13-remove.png');
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await eventually(async () => !(await visibleNames(page())).some((n) => n.startsWith('old-')), 5000, 'removed rows gone');
    const left = w.t.appliance.registry.clients.summaries().map((s) => s.name);
    assert.equal(left.includes('old-01') || left.includes('old-02'), false);
  });

  it('edits the properties of a client (tag, Jump method, maximum time offline)', async () => {
    await rowNamed('new-arrival').click({ button: 'right' });
    await page().getByRole('menuitem', { name: 'Properties' }).click();
    const dialog = page().getByRole('dialog', { name: 'Jump Client properties' });
    await dialog.getByLabel('Tag', { exact: true }).fill('fresh');
    assert.equal(await dialog.getByLabel('Jump method', { exact: true }).inputValue(), 'active');
    await dialog.getByLabel('Jump method', { exact: true }).selectOption('passive');
    await dialog.getByLabel('Maximum time offline (minutes)', { exact: true }).fill('90');
    await page().locator('#prop-save').click();
    await rowNamed('new-arrival').locator('.cell-tag', { hasText: 'fresh' }).waitFor();
    const id = w.t.appliance.registry.clients.summaries().find((c) => c.name === 'new-arrival')!.id;
    await eventually(() => w.t.appliance.registry.clients.get(id)?.connection_type === 'passive', 5000, 'switched to passive');
    assert.equal(w.t.appliance.registry.clients.get(id)?.max_offline_minutes, 90);
  });

  it('copies a client into a Jump Group: another item that shows the same agent\'s presence', async () => {
    await rowNamed('web-01').click({ button: 'right' });
    await page().getByRole('menuitem', { name: 'Copy' }).click();
    const dialog = page().getByRole('dialog', { name: 'Copy web-01' });
    await dialog.getByLabel('Name', { exact: true }).fill('web-01 (copy)');
    await page().locator('#copy-save').click();
    await rowNamed('web-01 (copy)').locator('.cell-status', { hasText: 'Online' }).waitFor();
    const { registry } = w.t.appliance;
    const copy = registry.clients.summaries().find((c) => c.name === 'web-01 (copy)')!;
    assert.equal(registry.clients.agentOf(copy), web.id, 'served by web-01\'s agent');
    // Both selected, the copy first: the maximum time offline is set on the original, which the
    // copy follows; neither answers with an error.
    await rowNamed('web-01 (copy)').click();
    await rowNamed('web-01').first().click({ modifiers: ['Control'] });
    await page().locator('#stats-empty', { hasText: '2 Jump Clients selected.' }).waitFor();
    await page().getByRole('button', { name: 'Properties' }).click();
    const props = page().getByRole('dialog', { name: 'Jump Client properties' });
    await props.locator('#prop-apply-max_offline').check();
    await props.getByLabel('Maximum time offline (minutes)', { exact: true }).fill('120');
    await page().locator('#prop-save').click();
    await page().locator('.toast', { hasText: /saved\./ }).first().waitFor();
    assert.equal(await page().locator('.toast.error').count(), 0, 'no refusal');
    assert.equal(registry.clients.get(web.id)?.max_offline_minutes, 120);
    assert.equal(registry.clients.get(copy.id)?.max_offline_minutes, 120);
    // web-01 alone selected (its statistics fetched) before the copy goes: a selected item removed
    // behind the console's back would be fetched and answer 404.
    await Promise.all([page().waitForResponse((r) => r.url().endsWith(`/api/config/v1/jump-client/${web.id}`)), rowNamed('web-01').first().click()]);
    await registry.write(() => registry.clients.remove(copy.id));
    await eventually(async () => !(await visibleNames(page())).includes('web-01 (copy)'), 5000, 'the copy gone again');
  });

  it('creates an installer in the wizard and downloads it', async () => {
    await page().getByRole('link', { name: 'Installers' }).click();
    await page().locator('#installer-wizard').waitFor();
    assert.equal(await page().getByLabel('Platform').inputValue(), 'linux-64', 'preselected from this browser (Linux)');
    const wizard = page().locator('#installer-wizard');
    await wizard.getByLabel('Tag', { exact: true }).fill('from-wizard');
    await wizard.getByLabel('Comments', { exact: true }).fill('Made by the browser test');
    await wizard.getByLabel('Mode').selectOption('user');
    await wizard.getByLabel('The installer is valid for').selectOption('10080');
    await wizard.getByLabel('Tag (--jc-tag)').check();
    await page().getByRole('button', { name: 'Create installer' }).click();
    const command = (await page().locator('#installer-command').textContent()) ?? '';
    assert.match(command, /^sh \.\/jumpgate-client-[0-9a-f]{32}\.bin$/);
    const id = command.match(/[0-9a-f]{32}/)![0];
    const row = w.t.appliance.registry.installers.get(id)!;
    assert.equal(row.tag, 'from-wizard');
    assert.equal(row.install_mode, 'user');
    assert.equal(row.allow_override_tag, true);
    await page().locator('#installer-list').getByText('from-wizard').waitFor();
    await w.shot('14-installers.png');
    const [download] = await Promise.all([page().waitForEvent('download'), page().locator('#installer-download').click()]);
    assert.equal(download.suggestedFilename(), `jumpgate-client-${id}.bin`);
    const file = await download.path();
    assert.ok(readFileSync(file).byteLength > 100, 'the installer file has content');
  });

  it('shows the administration pages and plays a session recording', async () => {
    await page().getByRole('link', { name: 'Users', exact: true }).click();
    await page().getByRole('button', { name: 'New user' }).click();
    const userForm = page().getByRole('dialog', { name: 'New user' });
    await userForm.getByLabel('Username').fill('tech1');
    await userForm.getByLabel('Display name').fill('First Technician');
    await userForm.getByLabel('Password').fill('technician-pw-1');
    await userForm.getByRole('button', { name: 'Save' }).click();
    await page().locator('#user-list').getByText('First Technician').waitFor();
    await w.shot('15-users.png');

    await page().getByRole('link', { name: 'Jump Groups', exact: true }).click();
    await page().getByRole('button', { name: 'New Jump Group' }).click();
    await page().getByRole('dialog', { name: 'New Jump Group' }).getByLabel('Name', { exact: true }).fill('Linux Admins');
    await page().getByRole('dialog', { name: 'New Jump Group' }).getByRole('button', { name: 'Save' }).click();
    await page().getByRole('heading', { name: 'Linux Admins' }).waitFor();
    await page().getByLabel('User', { exact: true }).selectOption({ label: 'tech1' });
    await page().getByLabel('Jump Item role', { exact: true }).selectOption({ label: 'Start Sessions Only' });
    await page().getByRole('button', { name: 'Add member' }).click();
    await page().locator('#member-list').getByRole('cell', { name: 'tech1', exact: true }).waitFor();
    const group = w.t.appliance.registry.groups.list().find((g) => g.name === 'Linux Admins')!;
    assert.equal(w.t.appliance.registry.groups.members(group.id).length, 1);
    await w.shot('16-groups.png');

    await page().getByRole('link', { name: 'Settings', exact: true }).click();
    await page().getByLabel('Jump spawns at once').fill('25');
    await page().getByRole('button', { name: 'Save' }).click();
    await eventually(() => w.t.appliance.registry.settings.get().max_concurrent_spawns === 25, 5000, 'spawn cap saved');
    await w.shot('17-settings.png');
    await page().getByRole('link', { name: 'Reports' }).click();
    await page().locator(`[data-play="${sessionId}"]`).click();
    await page().locator('#player .xterm-rows').getByText('jumpgate-console-ok').first().waitFor({ timeout: 10_000 });
    await w.shot('18-recording.png');
    await page().getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    await page().getByRole('tab', { name: 'Audit log' }).click();
    await page().getByLabel('Event').selectOption('deleted');
    await page().getByRole('button', { name: 'Apply' }).click();
    await page().locator('#rep-audit').getByText('old-01').first().waitFor();
    assert.equal(await page().locator('#rep-audit tbody tr').count(), 2);
    await w.shot('19-audit.png');
    await page().getByRole('link', { name: 'Status' }).click();
    await eventually(async () => Number(await page().locator('#stat-agents').textContent()) >= 3, 5000, 'agents connected');
    await w.shot('20-status.png');
  });

  it('manages custom Jump Item roles: new, held by a member, refused deletion while held, changed, deleted', async () => {
    await page().getByRole('link', { name: 'Jump Groups', exact: true }).click();
    await page().getByRole('button', { name: 'New role' }).click();
    const form = page().getByRole('dialog', { name: 'New role' });
    await form.getByLabel('Name', { exact: true }).fill('Tag Editors');
    await form.getByLabel('Start sessions').check();
    await form.getByLabel('Edit tag').check();
    await form.getByRole('button', { name: 'Save' }).click();
    const { registry } = w.t.appliance;
    await eventually(() => registry.roles.list().some((r) => r.name === 'Tag Editors'), 5000, 'role saved');
    const role = registry.roles.list().find((r) => r.name === 'Tag Editors')!;
    assert.equal(role.builtin, false);
    assert.deepEqual([role.perm_start, role.perm_edit_tag, role.perm_remove, role.perm_view_reports], [true, true, false, false]);
    const row = page().locator(`#role-list tr[data-id="${role.id}"]`);
    await row.getByRole('cell', { name: '✓' }).first().waitFor();
    assert.equal(await page().locator('#role-list tr', { hasText: 'Built-in' }).first().getByRole('button').count(), 0, 'built-in roles offer no actions');

    // tech1 in Linux Admins (the administration test) takes the role; while held, deletion is refused.
    await page().getByLabel('Role of tech1').selectOption({ label: 'Tag Editors' });
    const group = registry.groups.list().find((g) => g.name === 'Linux Admins')!;
    await eventually(() => registry.groups.members(group.id)[0]?.jump_item_role_id === role.id, 5000, 'member holds the role');
    await row.getByRole('button', { name: 'Delete' }).click();
    await page().getByRole('dialog', { name: 'Delete role' }).getByRole('button', { name: 'Delete' }).click();
    await page().locator('.toast.error', { hasText: 'The role is in use by 1 group membership(s)' }).waitFor();
    assert.ok(registry.roles.get(role.id), 'a held role stays');

    await page().getByLabel('Role of tech1').selectOption({ label: 'Start Sessions Only' });
    await eventually(() => registry.groups.members(group.id)[0]?.jump_item_role_id !== role.id, 5000, 'member moved off the role');
    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page().getByRole('dialog', { name: 'Edit role Tag Editors' });
    await edit.getByLabel('View reports').check();
    await edit.getByRole('button', { name: 'Save' }).click();
    await eventually(() => registry.roles.get(role.id)?.perm_view_reports === true, 5000, 'role changed');
    await w.shot('20a-roles.png');
    await row.getByRole('button', { name: 'Delete' }).click();
    await page().getByRole('dialog', { name: 'Delete role' }).getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal(registry.roles.get(role.id), undefined);
  });

  it('manages API accounts: the secret shown once gets a token, a new secret replaces it, deletion ends both', async () => {
    await page().getByRole('link', { name: 'API accounts', exact: true }).click();
    await page().locator('#api-list').or(page().getByText('No API accounts yet.')).waitFor();
    await page().getByRole('button', { name: 'New API account' }).click();
    const form = page().getByRole('dialog', { name: 'New API account' });
    await form.getByLabel('Name').fill('nightly-report');
    await form.getByRole('button', { name: 'Save' }).click();
    const shown = page().getByRole('dialog', { name: 'Credentials of nightly-report' });
    const clientId = (await shown.locator('#api-client-id').textContent()) ?? '';
    const secret = (await shown.locator('#api-client-secret').textContent()) ?? '';
    await w.shot('20b-api-secret.png');
    await shown.getByRole('button', { name: 'I have stored it' }).click();
    const account = w.t.appliance.registry.apiAccounts.list().find((a) => a.name === 'nightly-report');
    assert.ok(account && !account.is_admin && account.enabled, 'a reporting account, enabled');
    assert.equal(account.client_id, clientId);
    assert.equal((await oauthToken(w.t, clientId, secret)).status, 200, 'the secret shown works');
    const row = page().locator(`#api-list tr[data-id="${account.id}"]`);
    await row.getByRole('cell', { name: 'Reporting' }).waitFor();
    assert.equal(await page().locator('#api-list').getByText(secret).count(), 0, 'the list never shows the secret');

    await row.getByRole('button', { name: 'New secret' }).click();
    await page().getByRole('dialog', { name: 'Generate a new secret' }).getByRole('button', { name: 'New secret' }).click();
    const again = page().getByRole('dialog', { name: 'Credentials of nightly-report' });
    const secret2 = (await again.locator('#api-client-secret').textContent()) ?? '';
    await again.getByRole('button', { name: 'I have stored it' }).click();
    assert.notEqual(secret2, secret);
    assert.equal((await oauthToken(w.t, clientId, secret)).status, 401, 'the old secret stops working');
    assert.equal((await oauthToken(w.t, clientId, secret2)).status, 200, 'the new one works');

    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page().getByRole('dialog', { name: 'Edit API account nightly-report' });
    await edit.getByLabel('Enabled').uncheck();
    await edit.getByRole('button', { name: 'Save' }).click();
    await row.getByRole('cell', { name: 'No', exact: true }).waitFor();
    assert.equal((await oauthToken(w.t, clientId, secret2)).status, 401, 'a disabled account gets no token');

    await row.getByRole('button', { name: 'Delete' }).click();
    await page().getByRole('dialog', { name: 'Delete API account' }).getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal(w.t.appliance.registry.apiAccounts.get(account.id), undefined);
  });

  it('switches to Italian and shows Italian labels', async () => {
    await page().getByRole('button', { name: 'Italiano' }).click();
    await page().getByRole('link', { name: 'Gruppi Jump' }).waitFor();
    await page().getByRole('link', { name: 'Jump Client', exact: true }).click();
    await page().getByRole('button', { name: 'Aggiorna' }).waitFor();
    assert.equal(await page().getByRole('button', { name: 'Rimuovi' }).count(), 1);
    assert.equal(await page().getByRole('button', { name: 'Proprietà' }).count(), 1);
    assert.equal(await page().locator('button.sort[data-sort="console_user"]').innerText(), 'Utente console');
    assert.equal(await page().getByRole('treeitem', { name: 'Tutti gli elementi Jump' }).count(), 1);
    // The appliance words why a client is unavailable in English; the console says it in Italian.
    await rowNamed('db-01').click();
    await page().locator('#stats-details').getByText('Non disponibile perché').waitFor();
    assert.match((await page().locator('#stats-details').textContent()) ?? '', /Non disponibile perché\s*(chiuso dal Jump Client|connessione persa)/);
    await w.shot('21-jump-it.png');
    await page().getByRole('link', { name: 'Programmi di installazione' }).click();
    await page().getByRole('heading', { name: 'Crea programma di installazione Jump Client' }).waitFor();
    await w.shot('22-installers-it.png');
    await page().getByRole('button', { name: 'English' }).click();
  });

  it('keeps 100,000 Jump Clients smooth: only the rows in view are in the page', async () => {
    await page().close(); // its live feed would receive the 100,000 new rows at once
    const { registry } = w.t.appliance;
    await registry.write(() => {
      const now = Date.now();
      const base = registry.clients.get(web.id)!;
      for (let i = 0; i < 100_000; i++) {
        const name = `bulk-${String(i).padStart(6, '0')}`;
        registry.clients.put({ ...base, id: registry.clients.nextId(), name, hostname: name, tag: '', comments: '', status: 'offline', statistics: null, install_fingerprint: `bulk-${i}`, created_at: now, updated_at: now });
      }
    });
    const p = await w.newPage();
    await p.goto(w.t.url + '/'); // the session cookie is still there: straight to the Jump interface
    await p.locator('#client-grid').waitFor();
    await p.locator('#jc-count', { hasText: /^100,00\d Jump Clients$/ }).waitFor({ timeout: 30_000 });
    const bounded = async () => {
      const rows = await p.locator('.grid-row').count();
      assert.ok(rows > 10 && rows < 80, `${rows} row elements in the page`);
    };
    await bounded();
    const scroller = p.locator('#client-grid');
    for (const target of [50_000, 99_990, 12_345]) {
      await scroller.evaluate((el, row) => (el.scrollTop = row * 32), target);
      const row = p.locator(`.grid-row[aria-rowindex="${target + 2}"] .cell-name`);
      await eventually(async () => /^bulk-\d{6}$/.test((await row.textContent()) ?? ''), 10_000, `row ${target} loaded`);
      await bounded();
    }
    await scroller.focus();
    await p.keyboard.press('End');
    await p.locator('.grid-row.active[aria-selected="true"]').waitFor();
    await p.screenshot({ path: `${(await import('./console-world.ts')).SHOTS}23-100k.png` });
  });

  it('had no console errors, page errors, CSP violations or JavaScript dialogs', () => {
    assert.deepEqual(w.problems, []);
    assert.deepEqual(w.dialogs, []);
  });
});
