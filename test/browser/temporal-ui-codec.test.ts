import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../app/stack/stack';
import { type Config, loadConfig } from '../../platform/config';
import { issueToken, loadTokenSecret } from '../../platform/security/tokens';
import { SYNTHETIC_ID, startPersonCheckWorker } from '../security/support';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort } from '../support/ports';

// The operator's view: the embedded stack's Temporal Web UI, in a real headless Chromium (Debian's
// package, installed by .ci/run), decodes an activity input through our codec server — and shows
// nothing readable before the operator has signed in to the codec.
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const taskQueue = 'test-browser-codec';

let testDb: TestDatabase;
let dataDir: string;
let userDataDir: string;
let config: Config;
let stack: Stack;
let worker: { stop(): Promise<void> };
let context: BrowserContext;
let page: Page;
let workflowId: string;
let runId: string;
let activityEventId: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)`);
  testDb = await createTestDatabase('browser');
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'xuchang-browser-'));
  config = loadConfig({
    ...process.env,
    DATA_DIR: dataDir,
    DATABASE_URL: testDb.url,
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    API_PORT: String(await freePort()),
    BANK_SIM_PORT: String(await freePort()),
    LOG_LEVEL: 'silent',
  });
  // A stack of its own: its dev server is started with --ui-codec-endpoint pointing at its API.
  stack = await startStack(config, { worker: false, api: true }, () => {});
  worker = await startPersonCheckWorker(stack.temporal.address, taskQueue);
  workflowId = `person-check-ui-${Date.now()}`;
  const handle = await stack.client.workflow.start('personCheckWorkflow', {
    taskQueue,
    workflowId,
    args: [{ idNumber: SYNTHETIC_ID, name: 'Synthetic Person' }],
  });
  runId = handle.firstExecutionRunId;
  await handle.result();
  const history = await handle.fetchHistory();
  activityEventId = String(history.events!.find((e) => e.activityTaskScheduledEventAttributes)!.eventId);

  userDataDir = mkdtempSync(path.join(os.tmpdir(), 'xuchang-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  page = context.pages()[0] ?? (await context.newPage());
});
afterAll(async () => {
  await context?.close();
  await worker?.stop();
  await stack?.stop();
  await testDb?.drop();
  for (const dir of [dataDir, userDataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

const historyUrl = () => `${stack.temporal.uiUrl}/namespaces/default/workflows/${workflowId}/${runId}/history`;

describe('Temporal Web UI with the codec server', () => {
  it('before signing in to the codec, the UI shows the history but not the ID number (the codec refuses it)', async () => {
    const refused = page.waitForResponse(
      (r) => r.url().startsWith(`${stack.apiUrl}/codec/decode`) && r.status() === 401,
    );
    await page.goto(historyUrl());
    await refused;
    await page.getByTestId('data-encoder-status-error').waitFor();
    expect(await page.locator('body').innerText()).not.toContain(SYNTHETIC_ID);
  });

  it('after the codec sign-in and the UI codec setting, an activity input is shown decoded in the history', async () => {
    // 1. Sign in to the codec server with an API token (kept in an HttpOnly cookie for /codec).
    const token = await issueToken(
      loadTokenSecret(config),
      { subject: 'browser-test', role: 'city_health_commission' },
      '10m',
    );
    await page.goto(`${stack.apiUrl}/codec/login`);
    await page.fill('textarea[name=token]', token);
    await page.click('button[type=submit]');
    await page.locator('#signed-in').waitFor();

    // 2. In the UI's Codec Server settings: this browser's endpoint, with cross-origin credentials.
    await page.goto(historyUrl());
    await page.locator('[data-testid^="data-encoder-status"]').first().click();
    await page.getByTestId('use-local-endpoint-input').check({ force: true });
    await page.getByTestId('data-encoder-endpoint-input').fill(`${stack.apiUrl}/codec`);
    await page.getByTestId('data-encoder-include-credentials').check({ force: true });
    await page.getByRole('button', { name: 'Apply' }).click();

    // 3. Expand the ActivityTaskScheduled event: its input is the decoded value (the UI decodes it on expanding).
    const decoded = page.waitForResponse(
      (r) => r.url().startsWith(`${stack.apiUrl}/codec/decode`) && r.status() === 200,
    );
    await page.locator(`tr[data-eventid="${activityEventId}"] button[aria-label="Expand details"]`).click();
    await decoded;
    const details = page.getByTestId('event-summary-row-expanded').filter({ hasText: 'checkPerson' });
    await expect.poll(() => details.innerText(), { timeout: 20_000 }).toContain(SYNTHETIC_ID);
    expect(await details.innerText()).toContain('Synthetic Person');
  }, 120_000);
});
