import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleWorld, createConsoleWorld, eventually, PASSWORD, token } from './support';

// The city health commission uploads the quarter's extract in a real browser: the bytes sent show
// as they go (XMLHttpRequest upload progress), then the rows ingested against the file's rows
// (htmx polls the page until the ingest is done). A file that cannot be read is rejected with the
// reason in Chinese, and the corrected file replaces it. Screenshots in test-output/console/.
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
];
const OUT = path.resolve('test-output/console');
const quarter = '2019Q2';
/** Extra rows with an ID number that fails its check digit: quarantined at ingest, so the file is large but cheap to compute. */
const FILLER = 45_000;
let cw: ConsoleWorld;
let browser: Browser;
let base: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  mkdirSync(OUT, { recursive: true });
  cw = await createConsoleWorld(
    'console_upload',
    quarter,
    { '411002': 3, '411003': 2 },
    {},
    { enrolledOn: '2018-01-01', uploadExtract: false },
  );
  base = await cw.api.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
});
afterAll(async () => {
  await browser?.close();
  await cw?.close();
});

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
const text = async (page: Page, selector: string) => (await page.locator(selector).innerText()).trim();

/** 17 digits and a check digit that GB 11643 refuses. */
function wrongCheckDigit(body: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((n, d, i) => n + Number(d) * weights[i]!, 0);
  const right = '10X98765432'[sum % 11]!;
  return `${body}${right === '0' ? '1' : '0'}`;
}

async function upload(page: Page, name: string, content: string): Promise<void> {
  await page.fill('#upload-quarter', quarter);
  await page.setInputFiles('#upload-file', { name, mimeType: 'text/csv', buffer: Buffer.from(content, 'utf8') });
  await page.click('#upload-start');
}

describe('extract upload in the console', () => {
  it('rejects a file without its columns with the reason in Chinese, then ingests the corrected one with progress', async () => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1300, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${base}/console/extract?quarter=${quarter}`);
    await page.fill('#name', 'city');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(/\/console\/extract/), page.click('#sign-in')]);
    expect(await page.locator('nav a[data-page="extract"]').count()).toBe(1);

    // A file whose header lacks a column: the cycle starts, rejects it and waits; the page says why.
    const [header, ...rows] = cw.extract.split('\n');
    const withoutExclusion = [header!.replace(/,exclusion$/, ''), ...rows.map((r) => r.replace(/,$/, ''))].join('\n');
    await upload(page, 'missing-column.csv', withoutExclusion);
    await expect.poll(() => page.locator('#ingest[data-state="rejected"]').count(), { timeout: 60_000 }).toBe(1);
    expect(await text(page, '#rejection')).toBe('第 1 行：缺少列 exclusion（表头应为医保数据的全部列）。');
    await shot(page, '20-extract-rejected');

    // The corrected file, large enough that its bytes and its rows arrive in steps.
    const filler = Array.from(
      { length: FILLER },
      (_, i) =>
        `F${i + 1},${wrongCheckDigit(`41100219400101${String(i % 1000).padStart(3, '0')}`)},某${i},许昌市中心医院,2019-04-01,2019-04-03,`,
    );
    const corrected = `${[cw.extract.trimEnd(), ...filler].join('\n')}\n`;
    const bytes = Buffer.byteLength(corrected);
    // Every state the ingest section passes through, as the browser shows it.
    await page.evaluate(`(() => {
      window.states = [];
      new MutationObserver(() => {
        const section = document.getElementById('ingest');
        const ingested = document.getElementById('rows-ingested')?.textContent ?? '';
        const expected = document.getElementById('rows-expected')?.textContent ?? '';
        const state = section?.dataset.state + ':' + ingested + '/' + expected;
        if (section?.dataset.state && window.states.at(-1) !== state) window.states.push(state);
      }).observe(document.body, { childList: true, subtree: true });
    })()`);
    await upload(page, 'corrected.csv', corrected);
    await expect.poll(() => page.locator('#upload-label').getAttribute('data-done'), { timeout: 60_000 }).toBe('true');
    expect(Number(await page.locator('#upload-bar').getAttribute('max'))).toBe(bytes);
    expect(await page.evaluate('document.getElementById("upload-bar").value')).toBe(bytes);
    expect(Number(await page.locator('#upload-bar').getAttribute('data-events'))).toBeGreaterThanOrEqual(1);
    expect(await text(page, '#upload-label')).toContain('(100%)');
    await shot(page, '21-extract-uploaded');

    await expect.poll(() => page.locator('#ingest[data-state="done"]').count(), { timeout: 120_000 }).toBe(1);
    const total = cw.people.length + FILLER;
    expect(Number(await text(page, '#rows-total'))).toBe(total);
    expect(Number(await text(page, '#rows-valid'))).toBe(cw.people.length);
    expect(Number(await text(page, '#rows-quarantined'))).toBe(FILLER);
    // Before "done", the page showed the ingest waiting or under way, against the file's row count.
    const states = (await page.evaluate('window.states')) as string[];
    expect(states.some((s) => /^(waiting|ingesting):\d+\/\d+$/.test(s) && s.endsWith(`/${total}`))).toBe(true);
    expect(states.at(-1)).toBe('done:/');
    await shot(page, '22-extract-ingested');

    // The cycle goes on to the counties' review.
    const city = await token('city_health_commission');
    const stage = await eventually(async () => {
      const r = await cw.api.inject({
        method: 'GET',
        url: `/subsidy/cycles/${quarter}`,
        headers: { authorization: `Bearer ${city}` },
      });
      return r.json().stage === 'review' ? 'review' : undefined;
    }, 120_000);
    expect(stage).toBe('review');
    console.log(`extract upload: ${bytes} bytes, ${total} rows; states seen: ${states.join(' → ')}`);
  }, 240_000);
});
