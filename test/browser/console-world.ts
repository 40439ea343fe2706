/**
 * The world of the console's browser tests: the real appliance in-process (with a stand-in agent
 * artifact so installers download), Debian's Chromium, a page that records console errors, CSP
 * violations and JavaScript dialogs, and Jump Clients that are really connected.
 *
 * `connectJumpClient` is the one place that makes a connected Jump Client: today a row written
 * into the registry plus the scripted agent of test/helpers/fake-agent.ts speaking the real
 * protocol over real sockets; later a really installed Jump Client.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { JumpClient } from '../../src/registry/index.ts';
import type { Statistics } from '../../src/shared/protocol.ts';
import { ADMIN_PASSWORD, startTestAppliance, type TestAppliance } from '../helpers/appliance.ts';
import { startFakeAgent, type FakeAgent } from '../helpers/fake-agent.ts';
import { enrolledClient, eventually, sampleStatistics } from '../helpers/hub-client.ts';
import { writeStandInAgent } from '../helpers/stand-in-agent.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
/** Chromium's switches for every browser test. */
export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export interface ConnectedClient {
  id: number;
  agent: FakeAgent;
}

export interface ConsoleWorld {
  t: TestAppliance;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors, CSP violations and JavaScript dialogs seen so far. */
  problems: string[];
  dialogs: string[];
  agents: FakeAgent[];
  shot(name: string): Promise<void>;
  newPage(): Promise<Page>;
  stop(): Promise<void>;
}

/** Chromium logs refused requests as errors; these are the ones the tests cause on purpose. */
function expected(text: string, url: string): boolean {
  if (/status of 401/.test(text) && /\/api\/auth\/me$/.test(url)) return true;
  // Deleting a role a member still holds: the roles test asks for the refusal.
  return /status of 409/.test(text) && /\/api\/config\/v1\/jump-item-role\/\d+$/.test(url);
}

/** Records console errors and warnings (but the expected 401s), page errors and dialogs (dismissed). */
export function watch(page: Page, problems: string[], dialogs: string[]): void {
  page.on('console', (msg) => {
    if ((msg.type() === 'error' || msg.type() === 'warning') && !expected(msg.text(), msg.location().url)) {
      problems.push(`console ${msg.type()}: ${msg.text()} (${msg.location().url})`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
}

export async function startConsoleWorld(): Promise<ConsoleWorld> {
  mkdirSync(SHOTS, { recursive: true });
  const artifactDir = mkdtempSync(join(tmpdir(), 'jumpgate-console-artifact-'));
  const artifact = writeStandInAgent(artifactDir);
  const t = await startTestAppliance({}, { agentArtifact: () => artifact });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const problems: string[] = [];
  const dialogs: string[] = [];
  const world: ConsoleWorld = {
    t,
    browser,
    context,
    page: await context.newPage(),
    problems,
    dialogs,
    agents: [],
    shot: async (name) => {
      await world.page.screenshot({ path: SHOTS + name });
    },
    async newPage() {
      world.page = await context.newPage();
      watch(world.page, problems, dialogs);
      return world.page;
    },
    async stop() {
      for (const agent of world.agents) agent.close();
      await browser.close();
      await t.stop();
      rmSync(artifactDir, { recursive: true, force: true });
    },
  };
  watch(world.page, problems, dialogs);
  return world;
}

/** A Jump Client that is connected to the appliance (see the file's comment). */
export async function connectJumpClient(world: ConsoleWorld, fields: Partial<JumpClient> = {}, statistics: Partial<Statistics> = {}): Promise<ConnectedClient> {
  const { registry } = world.t.appliance;
  const client = await enrolledClient(registry, fields);
  const agent = await startFakeAgent(world.t.url, client.id, client.secret, 'shell');
  world.agents.push(agent);
  await eventually(() => registry.clients.get(client.id)?.status === 'online', 5000, `${fields.name ?? 'client'} online`);
  const hostname = fields.hostname ?? 'web-01';
  agent.control.ws.send(JSON.stringify({ type: 'stats', statistics: sampleStatistics({ hostname, fqdn: `${hostname}.example.test`, ...statistics }) }));
  await eventually(() => registry.clients.get(client.id)?.statistics?.fqdn === `${hostname}.example.test`, 5000, 'statistics');
  return { id: client.id, agent };
}

/** Logs in through the form. */
export async function logIn(page: Page, url: string, username = 'admin', password = ADMIN_PASSWORD): Promise<void> {
  await page.goto(url + '/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Password').press('Enter');
  await page.locator('#client-grid').waitFor();
}

/** The text of the grid rows in view, by name cell. */
export async function visibleNames(page: Page): Promise<string[]> {
  return page.locator('.grid-row:not([hidden]) .cell-name').allTextContents();
}
