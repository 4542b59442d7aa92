import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleWorld, createConsoleWorld, firstMonth, PASSWORD, token } from './support';

// The console's guards over plain HTTP (no browser): no page without a session, CSRF on every form,
// the sign-in rate limit, a county session confined to its county, masking by role, bearer tokens
// untouched, and the CLI that creates the accounts.
const quarter = '2021Q2';
const TSX = path.resolve('node_modules/.bin/tsx');
let cw: ConsoleWorld;

beforeAll(async () => {
  cw = await createConsoleWorld(
    'console_http',
    quarter,
    { '411002': 3, '411003': 2 },
    { loginRateLimit: { max: 5, timeWindowMs: 60_000 } },
  );
});
afterAll(async () => {
  await cw?.close();
});

/** A cookie jar over inject: what a browser would send back. */
class Client {
  cookies = new Map<string, string>();
  constructor(readonly address = '127.0.0.1') {}
  private remember(response: LightMyRequestResponse) {
    for (const c of response.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      if (c.value === '' || (c.expires && c.expires.getTime() < Date.now())) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
  }
  async request(
    method: 'GET' | 'POST',
    url: string,
    form?: Record<string, string | string[]>,
    headers: Record<string, string> = {},
  ) {
    const body = form
      ? new URLSearchParams(
          Object.entries(form).flatMap(([k, v]) =>
            Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v] as [string, string]],
          ),
        ).toString()
      : undefined;
    const response = await cw.api.inject({
      method,
      url,
      remoteAddress: this.address,
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; '),
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: body } : {}),
    });
    this.remember(response);
    return response;
  }
  /** The CSRF token of a page's forms. */
  async csrf(url = '/'): Promise<string> {
    const page = await this.request('GET', url);
    const match = /name="_csrf" value="([^"]+)"/.exec(page.body);
    if (!match) throw new Error(`no CSRF token on ${url}: ${page.statusCode}`);
    return match[1]!;
  }
  async signIn(name: string, password = PASSWORD) {
    return this.request('POST', '/login', { _csrf: await this.csrf('/'), name, password });
  }
}

const PAGES = [
  '/console',
  '/console/review',
  '/console/finance',
  '/console/city',
  '/console/housing',
  '/console/audit',
  '/console/audit/export',
  '/console/extract',
];

describe('work console guards', () => {
  it('shows the sign-in page at the root and no console page without a session', async () => {
    const anonymous = new Client();
    const root = await anonymous.request('GET', '/');
    expect(root.statusCode).toBe(200);
    expect(root.headers['content-type']).toMatch(/text\/html/);
    expect(root.body).toContain('登录');
    for (const url of PAGES) {
      const response = await anonymous.request('GET', `${url}?quarter=${quarter}&jurisdiction=411002`);
      expect(response.statusCode, url).toBe(303);
      expect(response.headers.location).toMatch(/^\/\?next=/);
      expect(response.body).not.toContain('魏');
    }
    // htmx partial requests get a 401, not a page.
    expect(
      (
        await anonymous.request('GET', `/console/review?quarter=${quarter}`, undefined, {
          'hx-request': 'true',
          'hx-target': 'items',
        })
      ).statusCode,
    ).toBe(401);
    // A forged cookie is no session.
    anonymous.cookies.set('xc_session', await token('county_reviewer', '411002'));
    expect((await anonymous.request('GET', '/console/review')).statusCode).toBe(303);
  });

  it('signs in with an HttpOnly SameSite cookie; a wrong password is refused without saying which part was wrong', async () => {
    const client = new Client('10.0.0.1');
    const wrong = await client.signIn('rev-411002', 'wrong password!');
    expect(wrong.headers.location).toMatch(/^\/\?error=1/);
    expect(client.cookies.has('xc_session')).toBe(false);
    const unknown = await client.signIn('nobody', PASSWORD);
    expect(unknown.headers.location).toBe(wrong.headers.location);

    const ok = await client.signIn('rev-411002');
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/console');
    const setCookie = ([] as string[])
      .concat(ok.headers['set-cookie'] as string | string[])
      .find((c) => c.startsWith('xc_session='))!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const home = await client.request('GET', '/console');
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('rev-411002');

    // Signing out ends it.
    await client.request('POST', '/logout', { _csrf: await client.csrf('/console') });
    expect((await client.request('GET', '/console')).statusCode).toBe(303);
  });

  it('refuses forms without the CSRF token', async () => {
    const client = new Client('10.0.0.2');
    await client.request('GET', '/');
    expect((await client.request('POST', '/login', { name: 'rev-411002', password: PASSWORD })).statusCode).toBe(403);
    expect(client.cookies.has('xc_session')).toBe(false);
    await client.signIn('rev-411002');
    const decide = await client.request('POST', '/console/review/decide', {
      quarter,
      jurisdiction: '411002',
      action: 'approve_all_except',
    });
    expect(decide.statusCode).toBe(403);
    expect(
      (
        await client.request('POST', '/console/review/decide', {
          quarter,
          jurisdiction: '411002',
          action: 'approve_all_except',
          _csrf: 'forged',
        })
      ).statusCode,
    ).toBe(403);
    // Nothing was decided.
    const progress = await cw.api.inject({
      method: 'GET',
      url: `/subsidy/cycles/${quarter}/review/411002`,
      headers: { authorization: `Bearer ${await token('county_reviewer', '411002')}` },
    });
    expect(progress.json()).toMatchObject({ undecided: 3 });
  });

  it('limits sign-in attempts per client address', async () => {
    const client = new Client('10.0.0.3');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await client.signIn('rev-411002', `guess number ${i}`)).statusCode);
    expect(statuses.slice(0, 5)).toEqual([303, 303, 303, 303, 303]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    // Even the right password waits; another address is not affected.
    expect((await client.signIn('rev-411002')).statusCode).toBe(429);
    expect((await new Client('10.0.0.4').signIn('rev-411002')).statusCode).toBe(303);
  });

  it("keeps a county reviewer's session to its own county", async () => {
    const other = new Client('10.0.0.5');
    await other.signIn('rev-411003');
    const page = await other.request('GET', `/console/review?quarter=${quarter}&jurisdiction=411002`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('(411003)');
    for (const p of cw.people.filter((x) => x.jurisdiction === '411002')) {
      expect(page.body).not.toContain(p.name);
      expect(page.body).not.toContain(p.id);
    }
    // Deciding for another county is refused by the API behind the console, and nothing changes.
    const decide = await other.request('POST', '/console/review/decide', {
      _csrf: await other.csrf(`/console/review?quarter=${quarter}`),
      quarter,
      jurisdiction: '411002',
      action: 'approve_all_except',
    });
    expect(decide.statusCode).toBe(303);
    const after = await other.request('GET', `/console/review?quarter=${quarter}`);
    expect(after.body).toMatch(/操作被拒绝[^<]*411002/);
    const progress = await cw.api.inject({
      method: 'GET',
      url: `/subsidy/cycles/${quarter}/review/411002`,
      headers: { authorization: `Bearer ${await token('county_reviewer', '411002')}` },
    });
    expect(progress.json()).toMatchObject({ undecided: 3 });
    // Pages of other roles are closed to it.
    expect((await other.request('GET', '/console/audit')).statusCode).toBe(403);
    expect((await other.request('GET', `/console/audit/export?quarter=${quarter}`)).statusCode).toBe(403);
    expect((await other.request('GET', `/console/extract?quarter=${quarter}`)).statusCode).toBe(403);
    // Uploading an extract: the city's page only, and never without the CSRF token.
    const upload = (client: Client, headers: Record<string, string>) =>
      cw.api.inject({
        method: 'POST',
        url: `/console/extract?quarter=${quarter}`,
        headers: {
          cookie: [...client.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; '),
          'content-type': 'text/csv',
          ...headers,
        },
        payload: 'record_id\n',
      });
    const reviewerToken = await other.csrf(`/console/review?quarter=${quarter}`);
    expect((await upload(other, { 'x-csrf-token': reviewerToken })).statusCode).toBe(403);
    const city = new Client('10.0.0.15');
    await city.signIn('city');
    expect((await upload(city, {})).statusCode).toBe(403);
    expect((await other.request('GET', '/console/city')).statusCode).toBe(403);
  });

  it('shows ID numbers only to roles that see them in the API', async () => {
    const reviewer = new Client('10.0.0.6');
    await reviewer.signIn('rev-411002');
    const own = await reviewer.request('GET', `/console/review?quarter=${quarter}`);
    const person = cw.people.find((p) => p.jurisdiction === '411002')!;
    expect(own.body).toContain(person.id);
    const auditor = new Client('10.0.0.7');
    await auditor.signIn('auditor');
    const audited = await auditor.request('GET', `/console/review?quarter=${quarter}&jurisdiction=411002`);
    expect(audited.statusCode).toBe(200);
    expect(audited.body).toContain(person.name);
    expect(audited.body).not.toContain(person.id);
    expect(audited.body).toContain(`${person.id.slice(0, 4)}**********${person.id.slice(-4)}`);
    for (const p of cw.people) expect(audited.body).not.toContain(p.account);
  });

  it('filters on the server with totals in yuan and fen', async () => {
    const reviewer = new Client('10.0.0.8');
    await reviewer.signIn('rev-411002');
    const all = await reviewer.request('GET', `/console/review?quarter=${quarter}`);
    expect(all.body).toMatch(/id="total-count">3</);
    const long = await reviewer.request('GET', `/console/review?quarter=${quarter}&nightsMin=4`, undefined, {
      'hx-request': 'true',
      'hx-target': 'items',
    });
    expect(long.body).not.toContain('<html');
    expect(long.body).toMatch(/id="total-count">1</);
    expect(long.body).toMatch(/id="total-amount">[\d,]+\.\d\d</);
    const bySeq = await reviewer.request('GET', `/console/review?quarter=${quarter}&q=2`);
    expect(bySeq.body).toMatch(/id="total-count">1</);
  });

  it('lets machines keep using bearer tokens, and the JSON routes ignore the session cookie', async () => {
    const reviewer = new Client('10.0.0.9');
    await reviewer.signIn('rev-411002');
    const withCookie = await cw.api.inject({
      method: 'GET',
      url: `/subsidy/cycles/${quarter}/review/411002`,
      headers: { cookie: `xc_session=${reviewer.cookies.get('xc_session')}` },
    });
    expect(withCookie.statusCode).toBe(401);
    const withBearer = await cw.api.inject({
      method: 'GET',
      url: `/subsidy/cycles/${quarter}/review/411002`,
      headers: { authorization: `Bearer ${await token('county_reviewer', '411002')}` },
    });
    expect(withBearer.statusCode).toBe(200);
  });

  it("lets finance re-issue a held payment, a county's finance bureau or reviewer only in its own county", async () => {
    const { payment_id: paymentId } = await cw.world.deps.db
      .selectFrom('entitlements')
      .select('payment_id')
      .where('cycle_id', '=', `subsidy-cycle-${quarter}`)
      .where('jurisdiction', '=', '411002')
      .executeTakeFirstOrThrow();
    const reissue = async (bearer: string) =>
      cw.api.inject({
        method: 'POST',
        url: `/subsidy/payments/${paymentId}/reissue`,
        headers: { authorization: `Bearer ${bearer}` },
        payload: { bankCode: 'ICBC', accountNo: '6222020200008888888' },
      });
    // Allowed roles get as far as the payment's state (not held yet: 409, nothing sent).
    for (const allowed of [
      await token('finance'),
      await token('finance', '411002'),
      await token('county_reviewer', '411002'),
    ])
      expect((await reissue(allowed)).statusCode).toBe(409);
    for (const refused of [
      await token('finance', '411003'),
      await token('county_reviewer', '411003'),
      await token('auditor'),
      await token('city_health_commission'),
    ])
      expect((await reissue(refused)).statusCode).toBe(403);
  });

  it('declares the bearer scheme in the OpenAPI document', async () => {
    const doc = (await cw.api.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/console'))).toBe(false);
  });

  it("enters a self-application (第七条) with its documents into the county's review", async () => {
    const reviewer = new Client('10.0.0.11');
    await reviewer.signIn('rev-411002');
    const person = cw.people.find((p) => p.jurisdiction === '411002')!;
    const form = {
      quarter,
      jurisdiction: '411002',
      back: `/console/review?quarter=${quarter}`,
      recordId: 'SELF-1',
      idNumber: person.id,
      hospital: '许昌市人民医院',
      admissionDate: `${firstMonth(quarter, 1)}-01`,
      dischargeDate: `${firstMonth(quarter, 1)}-04`,
    };
    const response = await reviewer.request('POST', '/console/review/self-application', {
      ...form,
      _csrf: await reviewer.csrf(`/console/review?quarter=${quarter}`),
      documents: 'county-archive/2025/0815-住院证明.pdf',
    });
    expect(response.statusCode).toBe(303);
    const page = await reviewer.request('GET', `/console/review?quarter=${quarter}`);
    expect(page.body).toMatch(/已录入自行申报 \(序号 4\)/);
    expect(page.body).toMatch(/id="p-items">4</);
    expect(page.body).toContain('SELF-1');
  });

  it('creates accounts with the CLI; a disabled account loses its open session', async () => {
    const run = promisify(execFile);
    const env = { ...process.env, DATABASE_URL: cw.world.testDb.url, LOG_LEVEL: 'silent' };
    const child = run(
      TSX,
      [
        'app/main/cli.ts',
        'auth',
        'user',
        'add',
        '--name',
        'rev2-411002',
        '--role',
        'county_reviewer',
        '--jurisdiction',
        '411002',
      ],
      { env },
    );
    child.child.stdin!.end('another long password\n');
    expect((await child).stdout).toMatch(/rev2-411002/);
    const client = new Client('10.0.0.10');
    expect((await client.signIn('rev2-411002', 'another long password')).headers.location).toBe('/console');
    expect((await client.request('GET', '/console')).statusCode).toBe(200);
    await run(TSX, ['app/main/cli.ts', 'auth', 'user', 'disable', '--name', 'rev2-411002'], { env });
    expect((await client.request('GET', '/console')).statusCode).toBe(303);
    const missing = run(
      TSX,
      ['app/main/cli.ts', 'auth', 'user', 'add', '--name', 'x-county', '--role', 'county_reviewer'],
      { env },
    );
    missing.child.stdin!.end('another long password\n');
    await expect(missing).rejects.toMatchObject({ stderr: expect.stringMatching(/jurisdiction/) });
  }, 180_000);
});
