import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkExport } from '../../app/audit/export';
import { type ConsoleWorld, createConsoleWorld, eventually, PASSWORD } from './support';

// The people in the loop, in a real headless Chromium (Debian's package) against the API process on
// the test run's PostgreSQL and Temporal: a county reviewer filters, approves all but two, rejects
// one with a reason, excludes the other and submits; another county's reviewer sees none of it;
// finance confirms the funding and re-issues the held payment; the auditor verifies the chain.
// Screenshots of every page go to test-output/console/.
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
const quarter = '2024Q3';
let cw: ConsoleWorld;
let browser: Browser;
let base: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)`);
  mkdirSync(OUT, { recursive: true });
  cw = await createConsoleWorld('console_browser', quarter, { '411002': 6, '411003': 2 });
  base = await cw.api.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
});
afterAll(async () => {
  await browser?.close();
  await cw?.close();
});

/** A person with a browser of their own (own cookies), signed in through the sign-in page. */
async function signIn(name: string, landing = '/console'): Promise<Page> {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}${landing}`);
  expect(new URL(page.url()).pathname).toBe('/');
  await page.fill('#name', name);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL((url) => url.pathname.startsWith('/console')), page.click('#sign-in')]);
  return page;
}
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
const text = async (page: Page, selector: string) => (await page.locator(selector).innerText()).trim();

describe('work console in a browser', () => {
  it('a county reviewer filters, decides by selection and submits; the other county sees none of it', async () => {
    const login = await (await browser.newContext()).newPage();
    await login.goto(`${base}/`);
    await shot(login, '01-sign-in');

    const page = await signIn('rev-411002', `/console/review?quarter=${quarter}`);
    expect(await text(page, '#p-items')).toBe('6');
    expect(await text(page, '#total-count')).toBe('6');
    await shot(page, '02-review');

    // Filter on the server (htmx swaps the list): stays of 5 nights or more.
    await page.fill('#f-nights-min', '5');
    await page.click('#apply');
    await expect.poll(() => text(page, '#total-count')).toBe('3');
    expect(page.url()).toContain('nightsMin=5');
    await shot(page, '03-review-filtered');
    await page.goto(`${base}/console/review?quarter=${quarter}`);

    // Approve all except two, in one request. The two kept back are not the closed account's person's
    // (item numbers follow person references, which differ in every run): that one must be paid and held.
    const closedName = cw.people[0]!.name;
    const others = await page
      .locator('tr[data-seq]')
      .evaluateAll(
        (rows, name) =>
          rows.filter((r) => !(r.textContent ?? '').includes(name)).map((r) => r.getAttribute('data-seq')!),
        closedName,
      );
    const [first, second] = others as [string, string];
    await page.check(`tr[data-seq="${first}"] input[type=checkbox]`);
    await page.check(`tr[data-seq="${second}"] input[type=checkbox]`);
    await Promise.all([page.waitForURL(/\/console\/review/), page.click('#approve-all-except')]);
    expect(await text(page, '#p-approved')).toBe('4');
    expect(await text(page, '#p-undecided')).toBe('2');
    expect(await text(page, '#flash')).toContain('已记录决定');

    // Reject one with a reason, exclude the other with a code.
    await page.check(`tr[data-seq="${first}"] input[type=checkbox]`);
    await page.fill('#reject-reason', '住院记录属于他人');
    await Promise.all([page.waitForURL(/\/console\/review/), page.click('#reject-checked')]);
    expect(await text(page, '#p-rejected')).toBe('1');
    expect(await text(page, `tr[data-seq="${first}"]`)).toContain('住院记录属于他人');
    await page.check(`tr[data-seq="${second}"] input[type=checkbox]`);
    await page.selectOption('#exclusion-code', 'traffic_insured');
    await Promise.all([page.waitForURL(/\/console\/review/), page.click('#exclude-checked')]);
    expect(await text(page, '#p-excluded')).toBe('1');
    expect(await text(page, '#p-undecided')).toBe('0');
    await page.locator('tr[data-seq="3"] summary').click();
    expect(await text(page, 'tr[data-seq="3"] details')).toMatch(/nights|晚|天/);
    await shot(page, '04-review-decided');

    page.once('dialog', (dialog) => void dialog.accept());
    await Promise.all([page.waitForURL(/\/console\/review/), page.click('#submit-review')]);
    expect(await text(page, '#p-submitted')).toBe('已提交');
    expect(await page.locator('#approve-all-except').count()).toBe(0);
    await shot(page, '05-review-submitted');

    // The other county's reviewer: their own county only, even when asking for 411002.
    const other = await signIn('rev-411003', `/console/review?quarter=${quarter}&jurisdiction=411002`);
    const body = await other.locator('body').innerText();
    expect(body).toContain('411003');
    expect(await text(other, '#p-items')).toBe('2');
    for (const p of cw.people.filter((x) => x.jurisdiction === '411002')) expect(body).not.toContain(p.name);
    expect(body).not.toContain('住院记录属于他人');
    await shot(other, '06-review-other-county');
    await Promise.all([other.waitForURL(/\/console\/review/), other.click('#approve-all-except')]);
    other.once('dialog', (dialog) => void dialog.accept());
    await Promise.all([other.waitForURL(/\/console\/review/), other.click('#submit-review')]);
    expect(await text(other, '#p-submitted')).toBe('已提交');
  }, 180_000);

  it('finance sees what needs attention, confirms the funding with the 4:6 split, and the cycle pays', async () => {
    const page = await signIn('finance');
    await eventually(async () => {
      await page.goto(`${base}/console`);
      return (await page.locator('#attention li').count()) === 2 ? true : undefined;
    });
    await shot(page, '07-finance-attention');
    await page.goto(`${base}/console/finance?quarter=${quarter}`);
    expect(await page.locator('#funding tbody tr').count()).toBe(2);
    await shot(page, '08-finance-funding');
    for (const j of ['411002', '411003']) {
      await Promise.all([
        page.waitForURL(/\/console\/finance/),
        page.click(`button.confirm[data-jurisdiction="${j}"]`),
      ]);
      expect(await text(page, `tr[data-jurisdiction="${j}"] .funding-status`)).toContain('已确认');
    }
    // The cycle moves on: payment, then closed with its reconciliation.
    await eventually(async () => {
      await page.goto(`${base}/console/finance?quarter=${quarter}`);
      return (await page.locator('#balanced').count()) > 0 ? true : undefined;
    }, 90_000);
    expect(await text(page, '#stage')).toBe('已结束');
    expect(await text(page, '#balanced')).toBe('平衡');
    expect(await page.locator('#held tbody tr').count()).toBe(1);
    expect(await page.locator('#held form.reissue').count()).toBe(1);
    await shot(page, '09-finance-reconciliation');
  }, 180_000);

  it("finance enters the held payment's corrected account and re-issues it; the old account is never shown", async () => {
    const page = await signIn('finance', `/console/finance?quarter=${quarter}`);
    const row = page.locator('#held tbody tr').first();
    expect(await row.innerText()).toContain('账户已销户');
    expect(await page.locator('body').innerText()).not.toContain(cw.people[0]!.account);
    await row.locator('input[name=bankCode]').fill('ICBC');
    await row.locator('input[name=accountNo]').fill('6222020200009999999');
    await Promise.all([page.waitForURL(/\/console\/finance/), row.locator('button[type=submit]').click()]);
    expect(await text(page, '#flash')).toContain('已到账');
    expect(await page.locator('#held tbody tr').count()).toBe(0);
    expect(await page.locator('body').innerText()).not.toContain('6222020200009999999');
    await shot(page, '10-payment-reissued');
  }, 120_000);

  it('the auditor verifies the chain and rebuilds, read-only; the city and the task force see their boards', async () => {
    const page = await signIn('auditor', '/console/audit');
    await page.click('#run-verify');
    await expect.poll(() => page.locator('#verdict').count()).toBe(1);
    expect(await text(page, '#verdict')).toBe('通过');
    expect(Number(await text(page, '#event-count'))).toBeGreaterThan(10);
    await shot(page, '11-audit-verify');
    await page.click('#run-rebuild');
    await expect.poll(() => text(page, '#audit-result h2'), { timeout: 60_000 }).toContain('重建');
    expect(await text(page, '#verdict')).toBe('通过');
    await shot(page, '12-audit-rebuild');
    // The export of the quarter's events: checked on the server, shown, then downloaded as JSON lines.
    await page.fill('#export-quarter', quarter);
    await page.click('#run-export');
    await expect.poll(() => page.locator('#export-count').count(), { timeout: 60_000 }).toBe(1);
    expect(await text(page, '#verdict')).toBe('通过');
    const exported = Number(await text(page, '#export-count'));
    expect(exported).toBeGreaterThan(10);
    expect(await text(page, '#export-mismatches')).toBe('0');
    expect(await page.locator('#export-types tbody tr').count()).toBeGreaterThan(3);
    await shot(page, '12b-audit-export');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-download')]);
    expect(download.suggestedFilename()).toBe(`xuchang-events-${quarter}.jsonl`);
    const file = await readFile((await download.path())!, 'utf8');
    const lines = file.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(exported);
    expect(checkExport(lines)).toMatchObject({ lines: exported, mismatches: [] });
    for (const p of cw.people) expect(file).not.toContain(p.id);
    expect(await page.locator('nav a[data-page="review"]').count()).toBe(1);
    await page.goto(`${base}/console/review?quarter=${quarter}&jurisdiction=411002`);
    expect(await page.locator('#read-only').count()).toBe(1);
    expect(await page.locator('#approve-all-except').count()).toBe(0);
    await page.goto(`${base}/console/housing`);
    await shot(page, '13-housing-board');

    const city = await signIn('city', `/console/city?quarter=${quarter}`);
    expect(await city.locator('#counties tbody tr').count()).toBe(2);
    // Chart.js drew on the canvas (served from node_modules, no network).
    for (const chart of ['amount-chart', 'quarters-chart', 'cap-chart', 'outcome-chart'])
      await city.waitForFunction(`window.Chart && Chart.getChart(document.getElementById("${chart}")) !== undefined`);
    // The figures behind them, computed on the server: 8 extract rows, 6 people not rejected or excluded.
    const figures = JSON.parse((await city.locator('#chart-data').textContent()) ?? '{}');
    expect(figures.quarters).toContain(quarter);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(figures.series.map((s: { amounts: number[] }) => sum(s.amounts)))).toBeGreaterThan(0);
    expect(sum(figures.capPeople)).toBe(6);
    expect(figures.capLabels.at(-1)).toBe('60 晚（已达上限）');
    expect(sum(figures.outcomeRows)).toBe(8);
    // What Chart.js drew is those figures.
    const drawn = await city.evaluate(
      '(() => { const c = Chart.getChart(document.getElementById("outcome-chart")); return { axis: c.options.indexAxis, categories: c.scales.y.type, rows: c.data.datasets[0].data }; })()',
    );
    expect(drawn).toEqual({ axis: 'y', categories: 'category', rows: figures.outcomeRows });
    await shot(city, '14-city-dashboard');
    // The English switch.
    await Promise.all([city.waitForURL(/\/console\/city/), city.click('#lang')]);
    expect(await city.locator('h1').innerText()).toContain('City dashboard');
    await shot(city, '15-city-dashboard-en');
  }, 180_000);
});
