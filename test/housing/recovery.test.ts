import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildAndCompare } from '../../app/audit/rebuild';
import { allProjections } from '../../app/projections';
import { decideSellerPayment } from '../../housing/activities/payment';
import { type ListingOutcome, listingWorkflowId, planStateQuery } from '../../housing/contracts/definitions';
import { housingStreams } from '../../housing/contracts/events';
import { makeIdNumber } from '../../platform/common/id-number';
import { recordHistory } from '../support/histories';
import { call, createHousingWorld, eventually, type HousingWorld } from './world';

// Issue 15 through the HTTP API on the real stack: every failure ends with a person who can act, a
// home is listed once, the plan's figures are a projection of events, and refused attempts are records.
let world: HousingWorld;
let api: FastifyInstance;
const planId = `housing-plan-recovery-${Date.now()}`;
const t: Record<string, string> = {};

const home = (n: number, overrides: Record<string, unknown> = {}) => ({
  kind: 'second_hand',
  region: 'yiquan_liangu',
  address: `许昌市建安区许由路${n}号`,
  complex: '许由小区',
  building: `${n}号楼`,
  unit: '2单元202',
  floorAreaM2: '75.00',
  askingFen: 60_000_000,
  certificates: ['property_certificate'],
  propertyCertificateNo: `豫(2025)许昌市不动产权第${String(n).padStart(7, '0')}号`,
  seller: {
    idNumber: makeIdNumber('411002', '1980-02-02', n),
    name: `业主${n}`,
    bankCode: 'ICBC',
    accountNo: `622202020000777${String(n).padStart(4, '0')}`,
  },
  ...overrides,
});

async function register(listing: Record<string, unknown>): Promise<string> {
  const response = await call(api, 'POST', '/housing/listings', t.negotiator!, listing);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.listingId as string;
}
const progressOf = async (id: string) =>
  (await call(api, 'GET', `/housing/listings/${id}`, t.auditor!)).body.progress as
    | { stage: string; capFen?: number; payment?: { attempt: number; heldReason?: string } }
    | undefined;
const reach = (id: string, stage: string) =>
  eventually(async () => {
    const p = await progressOf(id);
    return p?.stage === stage ? p : undefined;
  });
async function agreeOnPrice(id: string): Promise<number> {
  await reach(id, 'survey');
  expect((await call(api, 'POST', `/housing/listings/${id}/survey`, t.surveyor!, { passed: true })).status).toBe(200);
  const { capFen } = await reach(id, 'negotiation');
  const priceFen = capFen! - 100_000;
  expect(
    (await call(api, 'POST', `/housing/listings/${id}/offers`, t.negotiator!, { priceFen, sellerAccepted: true }))
      .status,
  ).toBe(200);
  expect(
    (await call(api, 'POST', `/housing/listings/${id}/approval`, t.approver!, { approved: true, reason: '低于评估价' }))
      .status,
  ).toBe(200);
  return priceFen;
}
const outcomeOf = (id: string) =>
  world.client.workflow.getHandle(listingWorkflowId(id)).result() as Promise<ListingOutcome>;
const eventsOf = (id: string) => world.deps.store.readStream(housingStreams.listing(id));
const bankAdmin = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
  const response = await fetch(new URL(path, world.bankUrl), {
    method,
    ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  return response.json() as Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
};
const planFigures = async () => {
  const state = await world.client.workflow.getHandle(planId).query(planStateQuery);
  const rows = await world.deps.db
    .selectFrom('housing_reservations')
    .selectAll()
    .where('plan_id', '=', planId)
    .orderBy('listing_id')
    .execute();
  return { funds: state.funds, reserved: Object.keys(state.reserved).sort(), rows };
};
const eventCount = async () =>
  Number(
    (
      await world.deps.db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  world = await createHousingWorld('housing_recovery');
  api = await world.api(planId);
  t.negotiator = await world.token('housing_task_force', 'negotiator-2');
  t.approver = await world.token('housing_task_force', 'approver-2');
  t.surveyor = await world.token('appraiser', 'surveyor-2');
  t.finance = await world.token('finance', 'finance-2');
  t.auditor = await world.token('auditor', 'auditor-2');
  expect(
    (
      await call(api, 'POST', '/housing/demand', t.negotiator, {
        region: 'yiquan_liangu',
        units: 20,
        reference: '需求库-2025-R',
      })
    ).status,
  ).toBe(201);
  for (const source of ['capital', 'loan_capacity']) {
    expect(
      (
        await call(api, 'POST', '/housing/plan/funds', t.finance, {
          source,
          amountFen: 1_000_000_000,
          reference: '许财〔2025〕9号',
        })
      ).status,
    ).toBe(200);
  }
});
afterAll(async () => {
  await world?.close();
});

describe('housing: every failure recoverable, every reservation counted, every attempt recorded', () => {
  let paid: string;

  it('holds a refused seller payment, re-issues it to the corrected account under a new key, and hands the home over', async () => {
    const listing = home(1);
    // The seller's account is closed by the time the bank settles: a definite refusal.
    await bankAdmin('POST', `/admin/accounts/${listing.seller.accountNo}/close`);
    paid = await register(listing);
    const priceFen = await agreeOnPrice(paid);
    const held = await reach(paid, 'payment_held');
    expect(held.payment).toEqual({ attempt: 1, heldReason: 'account_closed' });
    const row = await world.deps.db
      .selectFrom('housing_listings')
      .select(['stage', 'status'])
      .where('listing_id', '=', paid)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ stage: 'payment_held', status: 'open' });

    // The finance role may not re-issue: refused and recorded.
    const wrongRole = await call(api, 'POST', `/housing/listings/${paid}/seller-payment/reissue`, t.finance!, {
      bankCode: 'ICBC',
      accountNo: '6222020200009990001',
      accountName: '业主1',
      reason: 'x',
    });
    expect(wrongRole.status).toBe(403);

    const corrected = {
      bankCode: 'CCB',
      accountNo: '6217000012340001',
      accountName: '业主1',
      reason: '卖方提供新账户（原账户已销户）',
    };
    const reissued = await call(
      api,
      'POST',
      `/housing/listings/${paid}/seller-payment/reissue`,
      t.approver!,
      corrected,
    );
    expect(reissued.status, JSON.stringify(reissued.body)).toBe(200);
    expect(await outcomeOf(paid)).toMatchObject({ outcome: 'handed_over' });

    const events = await eventsOf(paid);
    const types = events.map((e) => e.type);
    expect(types.slice(types.indexOf('SellerPaymentIssued'))).toEqual([
      'SellerPaymentIssued',
      'SellerPaymentInstructed',
      'SellerPaymentHeld',
      'AttemptRefused',
      'SellerPaymentReissueDecided',
      'SellerPaymentIssued',
      'SellerPaymentInstructed',
      'SellerPaid',
      'HomeHandedOver',
      'ListingClosed',
    ]);
    const issued = events
      .filter((e) => e.type === 'SellerPaymentIssued')
      .map((e) => e.data as { idempotencyKey: string; accountMask: string; amountFen: number });
    expect(issued).toEqual([
      expect.objectContaining({
        idempotencyKey: `housing-seller-${paid}#1`,
        amountFen: priceFen,
        accountMask: '****0001',
      }),
      expect.objectContaining({
        idempotencyKey: `housing-seller-${paid}#2`,
        amountFen: priceFen,
        accountMask: '****0001',
      }),
    ]);
    // No account number in the record: only vault refs and masks.
    expect(JSON.stringify(events)).not.toContain(corrected.accountNo);
    expect(JSON.stringify(events)).not.toContain(listing.seller.accountNo);
    expect(events.find((e) => e.type === 'SellerPaymentReissueDecided')!.metadata.actor).toBe(
      'housing_task_force:approver-2',
    );
    expect(events.find((e) => e.type === 'AttemptRefused')!.data).toMatchObject({
      action: 'seller_payment_reissue',
      by: 'finance-2',
      role: 'finance',
    });

    // The bank's ledger: one failed attempt, one settled, each under its own key.
    const statuses = await world.deps.bank.queryPayments([`housing-seller-${paid}#1`, `housing-seller-${paid}#2`]);
    expect(statuses.map((s) => [s.idempotencyKey, s.status])).toEqual([
      [`housing-seller-${paid}#1`, 'failed'],
      [`housing-seller-${paid}#2`, 'settled'],
    ]);
    const ledger = await bankAdmin('GET', '/admin/ledger');
    const mine = (ledger.entries as { idempotencyKey?: string; key?: string; status: string }[]).filter((e) =>
      (e.idempotencyKey ?? e.key ?? '').includes(paid),
    );
    expect(mine.map((e) => e.status).sort()).toEqual(['failed', 'settled']);

    // The reservation was consumed once: spent at the contract price, nothing left reserved.
    const figures = await eventually(async () => {
      const f = await planFigures();
      return f.reserved.length === 0 ? f : undefined;
    });
    expect(figures.funds.capital.spentFen + figures.funds.loan.spentFen).toBe(priceFen);
    expect(figures.rows).toEqual([expect.objectContaining({ listing_id: paid, status: 'spent' })]);
    const row2 = figures.rows[0]!;
    expect(Number(row2.spent_capital_fen) + Number(row2.spent_loan_fen)).toBe(priceFen);
    expect(Number(row2.spent_capital_fen)).toBe(figures.funds.capital.spentFen);
    await recordHistory(world.client, listingWorkflowId(paid), 'housing-listing-payment-reissued');
  });

  it('refuses a re-issue while an earlier attempt is settled at the bank, naming it', async () => {
    await expect(
      decideSellerPayment(world.deps, {
        listingId: paid,
        decision: 'reissue',
        attempt: 3,
        accountRef: 'x',
        accountMask: '****0000',
        reason: 'again',
        actor: { subject: 'approver-2', role: 'housing_task_force' },
      }),
    ).rejects.toThrow(`seller payment housing-seller-${paid}#2 is settled at the bank`);
  });

  it('refuses a second post of a handed-over home (409 naming it), with the plan figures unchanged and the rebuild equal', async () => {
    const before = await planFigures();
    const eventsBefore = (await eventsOf(paid)).length;
    const again = await call(api, 'POST', '/housing/listings', t.negotiator!, {
      ...home(1),
      seller: { ...home(1).seller, accountNo: '6217000012349999' },
    });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'listing_exists', listingId: paid, stage: 'handed_over' });
    expect(again.body.message).toContain(paid);
    // Same property certificate at another address (a typo in the address): the same home.
    const byCertificate = await call(api, 'POST', '/housing/listings', t.negotiator!, {
      ...home(1),
      address: '许昌市建安区许由路1号（东门）',
      kind: 'second_hand',
    });
    expect(byCertificate.status).toBe(409);
    expect(byCertificate.body).toMatchObject({ listingId: paid });
    expect(byCertificate.body.message).toMatch(/property certificate/);
    // Same address and unit with white space and another kind: the same home.
    const bySpacing = await call(api, 'POST', '/housing/listings', t.negotiator!, {
      ...home(1),
      kind: 'new_stock',
      propertyCertificateNo: undefined,
      address: ' 许昌市建安区 许由路1号 ',
      certificates: ['land_use', 'land_planning', 'construction_planning', 'construction_permit', 'sales_permit'],
    });
    expect(bySpacing.status).toBe(409);
    expect(bySpacing.body).toMatchObject({ listingId: paid, stage: 'handed_over' });

    // Nothing started, nothing reserved: the only new events are the refused attempts.
    await new Promise((r) => setTimeout(r, 500));
    expect(await planFigures()).toEqual(before);
    const after = await eventsOf(paid);
    expect(after.slice(eventsBefore).map((e) => e.type)).toEqual([
      'AttemptRefused',
      'AttemptRefused',
      'AttemptRefused',
    ]);
    const runs = [];
    for await (const run of world.client.workflow.list({ query: `WorkflowId = '${listingWorkflowId(paid)}'` }))
      runs.push(run);
    expect(runs).toHaveLength(1);
    expect((await rebuildAndCompare(world.deps.db, world.deps.store, allProjections)).differences).toEqual([]);
  });

  it('refuses 0 m², an unknown region and an invalid seller ID at the door (400), writing nothing', async () => {
    const before = await eventCount();
    const zero = await call(api, 'POST', '/housing/listings', t.negotiator!, home(2, { floorAreaM2: '0.00' }));
    expect(zero.status).toBe(400);
    expect(JSON.stringify(zero.body.issues)).toMatch(/floor area/);
    const huge = await call(api, 'POST', '/housing/listings', t.negotiator!, home(2, { floorAreaM2: '1000.01' }));
    expect(huge.status).toBe(400);
    const region = await call(api, 'POST', '/housing/listings', t.negotiator!, home(2, { region: 'zhengzhou' }));
    expect(region.status).toBe(400);
    const demand = await call(api, 'POST', '/housing/demand', t.negotiator!, {
      region: 'zhengzhou',
      units: 3,
      reference: 'x',
    });
    expect(demand.status).toBe(400);
    const badId = home(2);
    const id = badId.seller.idNumber;
    const wrongCheck = `${id.slice(0, 17)}${id[17] === '0' ? '1' : '0'}`;
    const seller = await call(api, 'POST', '/housing/listings', t.negotiator!, {
      ...badId,
      seller: { ...badId.seller, idNumber: wrongCheck },
    });
    expect(seller.status).toBe(400);
    expect(JSON.stringify(seller.body.issues)).toMatch(/GB 11643/);
    expect(JSON.stringify(seller.body)).not.toContain(wrongCheck);
    expect(await eventCount()).toBe(before);
    // The region codes are an enum in the published schema.
    const docs = await api.inject({ method: 'GET', url: '/docs/json' });
    if (docs.statusCode === 200) expect(docs.body).toContain('"yiquan_liangu"');
  });

  it('records an offer above the cap and a self-approval as refused attempts, with who and why', async () => {
    const id = await register(home(3));
    await reach(id, 'survey');
    await call(api, 'POST', `/housing/listings/${id}/survey`, t.surveyor!, { passed: true });
    const { capFen } = await reach(id, 'negotiation');
    const above = await call(api, 'POST', `/housing/listings/${id}/offers`, t.negotiator!, {
      priceFen: capFen! + 1,
      sellerAccepted: true,
    });
    expect(above.status).toBe(409);
    expect(
      (
        await call(api, 'POST', `/housing/listings/${id}/offers`, t.negotiator!, {
          priceFen: capFen!,
          sellerAccepted: true,
        })
      ).status,
    ).toBe(200);
    const self = await call(api, 'POST', `/housing/listings/${id}/approval`, t.negotiator!, {
      approved: true,
      reason: 'mine',
    });
    expect(self.status).toBe(409);
    const attempts = (await eventsOf(id)).filter((e) => e.type === 'AttemptRefused');
    expect(attempts.map((e) => e.data)).toEqual([
      expect.objectContaining({
        action: 'offer',
        by: 'negotiator-2',
        role: 'housing_task_force',
        reason: expect.stringMatching(/above the price cap/),
        detail: { priceFen: capFen! + 1, sellerAccepted: true },
      }),
      expect.objectContaining({
        action: 'approval',
        by: 'negotiator-2',
        reason: expect.stringMatching(/may not approve it/),
      }),
    ]);
    expect(attempts[0]!.metadata.actor).toBe('housing_task_force:negotiator-2');
    expect(
      (await call(api, 'POST', `/housing/listings/${id}/approval`, t.approver!, { approved: true, reason: 'ok' }))
        .status,
    ).toBe(200);
    expect(await outcomeOf(id)).toMatchObject({ outcome: 'handed_over' });
  });

  it('unwinds a purchase whose seller cannot be paid, on a recorded decision, and gives the reservation back', async () => {
    const listing = home(4);
    await bankAdmin('POST', `/admin/accounts/${listing.seller.accountNo}/close`);
    const id = await register(listing);
    await agreeOnPrice(id);
    await reach(id, 'payment_held');
    const unwound = await call(api, 'POST', `/housing/listings/${id}/seller-payment/unwind`, t.approver!, {
      reason: '卖方放弃出售',
    });
    expect(unwound.status, JSON.stringify(unwound.body)).toBe(200);
    const outcome = await outcomeOf(id);
    expect(outcome.outcome).toBe('terminated');
    expect(outcome.reasons[0]).toMatch(/unwound by approver-2: 卖方放弃出售/);
    const types = (await eventsOf(id)).map((e) => e.type);
    expect(types.slice(types.indexOf('SellerPaymentUnwindDecided'))).toEqual([
      'SellerPaymentUnwindDecided',
      'LoanCancelled',
      'RegistrationUnwound',
      'ContractTerminated',
      'FundsReleased',
      'ListingClosed',
    ]);
    const reservation = await world.deps.db
      .selectFrom('housing_reservations')
      .selectAll()
      .where('listing_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(reservation.status).toBe('released');
    expect(
      (
        await world.deps.db
          .selectFrom('housing_listings')
          .select('committed')
          .where('listing_id', '=', id)
          .executeTakeFirstOrThrow()
      ).committed,
    ).toBe(false);
    expect((await rebuildAndCompare(world.deps.db, world.deps.store, allProjections)).differences).toEqual([]);
  });

  it('puts a listing first when more than 80 % of its whole complex is willing, though its building was never surveyed', async () => {
    expect(
      (
        await call(api, 'POST', '/housing/complexes', t.negotiator!, {
          complex: '许由小区',
          ownersTotal: 200,
          ownersWilling: 170,
          reference: '小区意愿征集-1',
        })
      ).status,
    ).toBe(201);
    const id = await register(home(5));
    await reach(id, 'survey');
    const priority = (await eventsOf(id)).find((e) => e.type === 'PriorityAssessed')!.data as {
      firstInLine: boolean;
      reason: string;
    };
    expect(priority.firstInLine).toBe(true);
    expect(priority.reason).toMatch(
      /no owner survey of the building; complex: 170\/200 owners willing to sell \(> 80 %: goes first\)/,
    );
  });

  it("takes the commissioned firm's appraisal through its own role, and the firm's value drives the cap", async () => {
    const id = await register(home(6));
    world.commissionTo.set(id, 'firm-huaxin');
    await reach(id, 'survey');
    await call(api, 'POST', `/housing/listings/${id}/survey`, t.surveyor!, { passed: true });
    const waiting = await reach(id, 'appraisal');
    await eventually(
      async () =>
        ((await progressOf(id)) as { appraisalFirm?: string } | undefined)?.appraisalFirm === 'firm-huaxin' ||
        undefined,
    );
    expect(waiting.stage).toBe('appraisal');
    const report = {
      reportRef: 'HX-PG-2025-0601',
      valueFen: 55_000_000,
      marketRentFen: 115_000,
      appraisedOn: '2025-06-01',
    };
    // Another firm, and the surveyor (also an appraiser), are not this commission's firm: refused and recorded.
    const other = await call(
      api,
      'POST',
      `/housing/listings/${id}/appraisal`,
      await world.token('appraiser', 'firm-other'),
      report,
    );
    expect(other.status).toBe(409);
    expect(other.body.message).toMatch(/not the firm commissioned/);
    expect((await call(api, 'POST', `/housing/listings/${id}/appraisal`, t.negotiator!, report)).status).toBe(403);
    const firm = await world.token('appraiser', 'firm-huaxin');
    expect((await call(api, 'POST', `/housing/listings/${id}/appraisal`, firm, report)).status).toBe(200);
    const { capFen } = await reach(id, 'negotiation');
    expect(capFen).toBe(55_000_000);
    const events = await eventsOf(id);
    expect(events.find((e) => e.type === 'AppraisalCommissioned')!.data).toMatchObject({ firm: 'firm-huaxin' });
    const received = events.find((e) => e.type === 'AppraisalReceived')!;
    expect(received.data).toMatchObject({
      reportId: 'HX-PG-2025-0601',
      firm: 'firm-huaxin',
      valueFen: 55_000_000,
      marketRentFen: 115_000,
    });
    expect(received.metadata.actor).toBe('appraiser:firm-huaxin');
    expect(
      events.filter((e) => e.type === 'AttemptRefused').map((e) => (e.data as { action: string; by: string }).by),
    ).toEqual(['firm-other', 'negotiator-2']);
    expect(
      (
        await call(api, 'POST', `/housing/listings/${id}/offers`, t.negotiator!, {
          priceFen: 55_000_001,
          sellerAccepted: true,
        })
      ).status,
    ).toBe(409);
  });

  it('ends the purchase with its reason when a step fails for good, instead of retrying forever', async () => {
    const id = await register(home(7));
    world.appraisalValue.set(id, -1);
    await reach(id, 'survey');
    await call(api, 'POST', `/housing/listings/${id}/survey`, t.surveyor!, { passed: true });
    const outcome = await outcomeOf(id);
    expect(outcome.outcome).toBe('terminated');
    expect(outcome.reasons[0]).toMatch(/appraisal failed: no price cap for .*not a non-negative whole number of fen/);
    const types = (await eventsOf(id)).map((e) => e.type);
    expect(types.slice(-3)).toEqual(['StepFailed', 'FundsReleased', 'ListingClosed']);
    expect(
      (
        await world.deps.db
          .selectFrom('housing_reservations')
          .select('status')
          .where('listing_id', '=', id)
          .executeTakeFirstOrThrow()
      ).status,
    ).toBe('released');
  });

  it("以旧换新: pays the proceeds of a second-hand home to the escrow account of the seller's new-home contract", async () => {
    const escrow = { bankCode: 'CCB', accountNo: '6217000099990008', name: '许昌某置业有限公司预售资金监管账户' };
    const id = await register(home(8, { newHome: { contract: 'XS-2025-0008', escrow } }));
    const priceFen = await agreeOnPrice(id);
    expect(await outcomeOf(id)).toMatchObject({ outcome: 'handed_over' });
    const events = await eventsOf(id);
    expect((events[0]!.data as { newHome?: { contract: string } }).newHome).toMatchObject({ contract: 'XS-2025-0008' });
    expect(events.find((e) => e.type === 'SellerPaymentIssued')!.data).toMatchObject({
      payee: 'escrow',
      accountMask: '****0008',
      amountFen: priceFen,
    });
    expect(JSON.stringify(events)).not.toContain(escrow.accountNo);
    const toEscrow = await bankAdmin('POST', '/admin/ledger/by-account', { accountNo: escrow.accountNo });
    expect(toEscrow.entries).toEqual([expect.objectContaining({ status: 'settled', amountFen: priceFen })]);
    const row = await world.deps.db
      .selectFrom('housing_listings')
      .select('new_home_contract')
      .where('listing_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.new_home_contract).toBe('XS-2025-0008');
  });

  it('reports progress for the weekly meeting from the projections, and as xlsx', async () => {
    const response = await call(api, 'GET', '/housing/report', t.auditor!);
    expect(response.status).toBe(200);
    const report = response.body as import('../../housing/activities/report').HousingProgressReport;
    const state = await world.client.workflow.getHandle(planId).query(planStateQuery);
    const capital = report.funds.find((f) => f.source === 'capital')!;
    const loan = report.funds.find((f) => f.source === 'loan_capacity')!;
    expect(capital).toMatchObject({
      totalFen: state.funds.capital.totalFen,
      reservedFen: state.funds.capital.reservedFen,
      spentFen: state.funds.capital.spentFen,
    });
    expect(loan).toMatchObject({
      totalFen: state.funds.loan.totalFen,
      reservedFen: state.funds.loan.reservedFen,
      spentFen: state.funds.loan.spentFen,
    });
    const handed = await world.deps.db.selectFrom('housing_rental_stock').select('listing_id').execute();
    const core = report.regions.find((r) => r.region === 'yiquan_liangu')!;
    expect(core).toMatchObject({ demandUnits: 20, handedOver: handed.length });
    expect(report.listingsByStage.find((s) => s.stage === 'handed_over')!.listings).toBe(handed.length);

    const { writeProgressReportXlsx } = await import('../../housing/activities/report');
    const { default: ExcelJS } = await import('exceljs');
    const file = `${(await import('node:os')).tmpdir()}/housing-report-${Date.now()}.xlsx`;
    await writeProgressReportXlsx(report, file);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['房源进度 listings', '资金 funds', '区域 regions']);
    expect(wb.getWorksheet('资金 funds')!.getRow(2).getCell(4).value).toBe(capital.spentFen / 100);
  });

  it('treats a lost answer from the bank as in doubt, never held: asks again under the same key and pays once', async () => {
    const id = await register(home(9));
    // The bank records the payment, then the answer is lost (503) — twice.
    await bankAdmin('POST', '/admin/faults', { rules: [{ effect: 'commit_then_503', on: 'submit', next: 2 }] });
    try {
      const priceFen = await agreeOnPrice(id);
      expect(await outcomeOf(id)).toMatchObject({ outcome: 'handed_over' });
      const types = (await eventsOf(id)).map((e) => e.type);
      expect(types).not.toContain('SellerPaymentHeld');
      expect(types.filter((t) => t === 'SellerPaymentIssued')).toHaveLength(1);
      const statuses = await world.deps.bank.queryPayments([`housing-seller-${id}#1`, `housing-seller-${id}#2`]);
      expect(statuses).toEqual([
        expect.objectContaining({ idempotencyKey: `housing-seller-${id}#1`, status: 'settled', amountFen: priceFen }),
      ]);
      const ledger = await bankAdmin('GET', '/admin/ledger?entries=false');
      expect(ledger.counts.submittedRecords).toBe(ledger.counts.entries);
    } finally {
      await bankAdmin('POST', '/admin/faults', { rules: [] });
    }
  });
});
