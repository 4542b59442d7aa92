import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertUser } from '../../app/api/console/users';
import { type ListingOutcome, listingWorkflowId } from '../../housing/contracts/definitions';
import { idFor } from '../domain/fixtures';
import { call, createHousingWorld, eventually, type HousingWorld } from '../housing/world';

// The housing task force's board in a real browser: the appraiser files the survey, one member makes
// the offer, the same member may not approve it (four eyes), a second member approves and the
// purchase goes on to handover — all through the existing housing routes and workflow updates.
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
const OUT = path.resolve('test-output/console');
const PASSWORD = 'correct horse battery';
let world: HousingWorld;
let api: FastifyInstance;
let browser: Browser;
let base: string;
let listingId: string;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  world = await createHousingWorld('console_housing');
  api = await world.api(`housing-plan-console-${Date.now()}`);
  const negotiator = await world.token('housing_task_force', 'zhang');
  const finance = await world.token('finance', 'finance-1');
  expect(
    (
      await call(api, 'POST', '/housing/demand', negotiator, {
        region: 'yiquan_liangu',
        units: 5,
        reference: '需求库-2025',
      })
    ).status,
  ).toBe(201);
  await call(api, 'POST', '/housing/plan/funds', finance, {
    source: 'capital',
    amountFen: 2_000_000_000,
    reference: '许财〔2025〕1号',
  });
  await call(api, 'POST', '/housing/plan/funds', finance, {
    source: 'loan_capacity',
    amountFen: 2_000_000_000,
    reference: '许财〔2025〕1号',
  });
  const registered = await call(api, 'POST', '/housing/listings', negotiator, {
    kind: 'second_hand',
    region: 'yiquan_liangu',
    // A home no other test file lists: a listing's id comes from the home, and test files share one Temporal server.
    address: '许昌市魏都区七一路88号',
    complex: '芙蓉湖小区',
    building: '1号楼',
    unit: '1单元101',
    floorAreaM2: '89.50',
    askingFen: 80_000_000,
    certificates: ['property_certificate'],
    documents: ['doc://deed/1'],
    seller: { idNumber: idFor('1970-01-01', 11), name: '业主1', bankCode: 'ICBC', accountNo: '6222020200001230001' },
  });
  expect(registered.status).toBe(201);
  listingId = registered.body.listingId;
  await upsertUser(world.deps.db, { name: 'zhang', role: 'housing_task_force', password: PASSWORD });
  await upsertUser(world.deps.db, { name: 'li', role: 'housing_task_force', password: PASSWORD });
  await upsertUser(world.deps.db, { name: 'surveyor', role: 'appraiser', password: PASSWORD });
  base = await api.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
});
afterAll(async () => {
  await browser?.close();
  await world?.close();
});

async function signIn(name: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await page.goto(`${base}/console/housing`);
  await page.fill('#name', name);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(/\/console\/housing/), page.click('#sign-in')]);
  return page;
}
const card = (page: Page) => page.locator(`article[data-listing="${listingId}"]`);
async function waitForStage(page: Page, stage: string) {
  // Screening and the plan's admission run first; on a busy two-core machine they take a while.
  await eventually(async () => {
    await page.goto(`${base}/console/housing`);
    return (await page.locator(`section[data-stage="${stage}"] article[data-listing="${listingId}"]`).count()) === 1
      ? true
      : undefined;
  }, 120_000);
}

describe('housing task force board', () => {
  it('takes a listing from survey to an approval by a second person', async () => {
    const surveyor = await signIn('surveyor');
    await waitForStage(surveyor, 'survey');
    await surveyor.screenshot({ path: path.join(OUT, '16-housing-survey.png'), fullPage: true });
    await Promise.all([
      surveyor.waitForURL(/\/console\/housing/),
      card(surveyor).locator('form.survey button').click(),
    ]);
    expect(await surveyor.locator('#flash').innerText()).toContain('已记录决定');

    const zhang = await signIn('zhang');
    await waitForStage(zhang, 'negotiation');
    const capFen = Number(await card(zhang).locator('.cap').getAttribute('data-fen'));
    expect(capFen).toBeGreaterThan(0);
    const price = ((capFen - 500_000) / 100).toFixed(2);
    await card(zhang).locator('input[name=priceYuan]').fill(price);
    await card(zhang).locator('input[name=sellerAccepted]').check();
    await Promise.all([zhang.waitForURL(/\/console\/housing/), card(zhang).locator('form.offer button').click()]);
    expect(await zhang.locator('#flash').innerText()).toContain('已记录决定');
    await waitForStage(zhang, 'approval');
    // Four eyes: the negotiator may not approve their own price.
    await card(zhang).locator('form.approval input[name=reason]').fill('我谈的价格');
    await Promise.all([
      zhang.waitForURL(/\/console\/housing/),
      card(zhang).locator('form.approval button[value=true]').click(),
    ]);
    expect(await zhang.locator('#flash').innerText()).toMatch(/操作被拒绝.*may not approve/);
    await zhang.screenshot({ path: path.join(OUT, '17-housing-four-eyes-refused.png'), fullPage: true });

    const li = await signIn('li');
    await card(li).locator('form.approval input[name=reason]').fill('低于评估价');
    await Promise.all([
      li.waitForURL(/\/console\/housing/),
      card(li).locator('form.approval button[value=true]').click(),
    ]);
    expect(await li.locator('#flash').innerText()).toContain('已记录决定');
    const outcome = (await world.client.workflow.getHandle(listingWorkflowId(listingId)).result()) as ListingOutcome;
    expect(outcome).toMatchObject({ outcome: 'handed_over' });
    await li.goto(`${base}/console/housing`);
    await li.screenshot({ path: path.join(OUT, '18-housing-handed-over.png'), fullPage: true });
    // No seller's ID number or account on the board.
    const body = await li.locator('body').innerText();
    expect(body).not.toContain('411002197001010011');
    expect(body).not.toContain('6222020200001230001');

    // The Temporal UI reads the listing in Chinese: its summary, and the stage as current details.
    const handle = world.client.workflow.getHandle(listingWorkflowId(listingId));
    const described = await handle.describe();
    expect(await described.staticSummary()).toBe(`收购存量房 ${listingId}（二手房）`);
    expect(await described.staticDetails()).toContain('许政办〔2025〕10号');
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toBe('当前阶段：已交房；报价 1 次；房款第 1 次支付');
    for (const shown of [await described.staticSummary(), await described.staticDetails(), metadata.currentDetails])
      for (const secret of ['411002197001010011', '6222020200001230001', '业主1']) expect(shown).not.toContain(secret);
  }, 300_000);
});
