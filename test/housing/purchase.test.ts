import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildAndCompare } from '../../app/audit/rebuild';
import { allProjections } from '../../app/projections';
import { type ListingOutcome, listingWorkflowId, planStateQuery } from '../../housing/contracts/definitions';
import { housingStreams } from '../../housing/contracts/events';
import { makeIdNumber } from '../../platform/common/id-number';
import { verifyChain } from '../../platform/eventstore';
import { recordHistory } from '../support/histories';
import { call, createHousingWorld, eventually, type HousingWorld } from './world';

// Purchases of existing housing (许政办〔2025〕10号) through the HTTP API, on a real Temporal server,
// a real PostgreSQL, the bank-gateway simulator and the housing simulators: each test drives one or
// two listings and reads what happened back from the event store and the workflow history.
let world: HousingWorld;
let api: FastifyInstance;
const planId = `housing-plan-test-${Date.now()}`;
const t: Record<string, string> = {};

const home = (n: number, overrides: Record<string, unknown> = {}) => ({
  kind: 'second_hand',
  region: 'yiquan_liangu',
  address: `许昌市魏都区文峰路${n}号`,
  complex: '芙蓉湖小区',
  building: `${n}号楼`,
  unit: '1单元101',
  floorAreaM2: '89.50',
  askingFen: 80_000_000,
  certificates: ['property_certificate'],
  documents: [`doc://deed/${n}`],
  seller: {
    idNumber: makeIdNumber('411002', '1970-01-01', n),
    name: `业主${n}`,
    bankCode: 'ICBC',
    accountNo: `622202020000123${String(n).padStart(4, '0')}`,
  },
  ...overrides,
});

async function register(on: FastifyInstance, listing: Record<string, unknown>): Promise<string> {
  const response = await call(on, 'POST', '/housing/listings', t.negotiator!, listing);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.listingId as string;
}

async function progressOf(on: FastifyInstance, listingId: string) {
  const response = await call(on, 'GET', `/housing/listings/${listingId}`, t.auditor!);
  return response.body.progress as { stage: string; capFen?: number; pendingDecisions: string[] } | undefined;
}

const reach = (on: FastifyInstance, listingId: string, stage: string) =>
  eventually(async () => {
    const progress = await progressOf(on, listingId);
    return progress?.stage === stage ? progress : undefined;
  });

/** Survey passed, an accepted offer at the cap less `discountFen`, approved by someone else. */
async function agreeOnPrice(on: FastifyInstance, listingId: string, discountFen = 500_000): Promise<number> {
  await reach(on, listingId, 'survey');
  expect(
    (
      await call(on, 'POST', `/housing/listings/${listingId}/survey`, t.surveyor!, {
        passed: true,
        photoRefs: ['photo://living-room'],
      })
    ).status,
  ).toBe(200);
  const { capFen } = await reach(on, listingId, 'negotiation');
  const priceFen = capFen! - discountFen;
  expect(
    (await call(on, 'POST', `/housing/listings/${listingId}/offers`, t.negotiator!, { priceFen, sellerAccepted: true }))
      .status,
  ).toBe(200);
  expect(
    (
      await call(on, 'POST', `/housing/listings/${listingId}/approval`, t.approver!, {
        approved: true,
        reason: '价格低于评估价',
      })
    ).status,
  ).toBe(200);
  return priceFen;
}

const outcomeOf = (listingId: string) =>
  world.client.workflow.getHandle(listingWorkflowId(listingId)).result() as Promise<ListingOutcome>;
const eventsOf = (listingId: string) => world.deps.store.readStream(housingStreams.listing(listingId));
const typesOf = async (listingId: string) => (await eventsOf(listingId)).map((e) => e.type);

async function fund(on: FastifyInstance, capitalFen: number, loanFen: number, reference: string) {
  expect(
    (await call(on, 'POST', '/housing/plan/funds', t.finance!, { source: 'capital', amountFen: capitalFen, reference }))
      .status,
  ).toBe(200);
  expect(
    (
      await call(on, 'POST', '/housing/plan/funds', t.finance!, {
        source: 'loan_capacity',
        amountFen: loanFen,
        reference,
      })
    ).status,
  ).toBe(200);
}

beforeAll(async () => {
  world = await createHousingWorld('housing_purchase');
  api = await world.api(planId);
  t.negotiator = await world.token('housing_task_force', 'negotiator-1');
  t.approver = await world.token('housing_task_force', 'approver-1');
  t.surveyor = await world.token('appraiser', 'surveyor-1');
  t.finance = await world.token('finance', 'finance-1');
  t.auditor = await world.token('auditor', 'auditor-1');
  for (const [region, units] of [
    ['yiquan_liangu', 20],
    ['weidu', 5],
    ['xugang_belt', 5],
  ] as const) {
    expect(
      (await call(api, 'POST', '/housing/demand', t.negotiator, { region, units, reference: `需求库-2025-${region}` }))
        .status,
    ).toBe(201);
  }
  await call(api, 'POST', '/housing/buildings', t.negotiator, {
    complex: '芙蓉湖小区',
    building: '1号楼',
    ownersTotal: 40,
    ownersWilling: 35,
    reference: '意愿征集-1',
  });
  await fund(api, 2_000_000_000, 2_000_000_000, '许财〔2025〕1号');
});
afterAll(async () => {
  await world?.close();
});

describe('a purchase of existing housing through the API', () => {
  let happy: string;

  it('takes a second-hand home from listing to handover', async () => {
    happy = await register(api, home(1));
    const priceFen = await agreeOnPrice(api, happy);
    const outcome = await outcomeOf(happy);
    expect(outcome).toMatchObject({ outcome: 'handed_over' });

    expect(await typesOf(happy)).toEqual([
      'ListingRegistered',
      'ListingScreened',
      'PriorityAssessed',
      'PurchaseAdmitted',
      'SurveyReportFiled',
      'AppraisalCommissioned',
      'AppraisalReceived',
      'PriceCapSet',
      'OfferMade',
      'PriceApprovalDecided',
      'ContractSigned',
      ...(await typesOf(happy)).filter((type) =>
        ['RegistrationFiled', 'RegistrationCompleted', 'LoanApplied', 'LoanApproved'].includes(type),
      ),
      'LoanDrawn',
      'SellerPaymentIssued',
      'SellerPaymentInstructed',
      'SellerPaid',
      'HomeHandedOver',
      'ListingClosed',
    ]);
    const events = await eventsOf(happy);
    const types = new Set(events.map((e) => e.type));
    for (const type of ['RegistrationFiled', 'RegistrationCompleted', 'LoanApplied', 'LoanApproved'])
      expect(types).toContain(type);

    // Building 1 has 35 of 40 owners willing (> 80 %): it goes first.
    expect(events.find((e) => e.type === 'PriorityAssessed')!.data).toMatchObject({ firstInLine: true });
    const contract = events.find((e) => e.type === 'ContractSigned')!.data as {
      priceFen: number;
      capitalFen: number;
      loanFen: number;
    };
    expect(contract.priceFen).toBe(priceFen);
    expect(contract.capitalFen + contract.loanFen).toBe(priceFen);
    expect(contract.loanFen).toBe(Math.floor((priceFen * 7000) / 10_000));

    // The home is in the rental stock at the appraised rent; the seller was paid once, under one key.
    const stock = await world.deps.db
      .selectFrom('housing_rental_stock')
      .selectAll()
      .where('listing_id', '=', happy)
      .executeTakeFirstOrThrow();
    expect(Number(stock.price_fen)).toBe(priceFen);
    const key = `housing-seller-${happy}#1`;
    expect(await world.deps.bank.queryPayments([key])).toEqual([
      expect.objectContaining({ status: 'settled', amountFen: priceFen }),
    ]);

    await recordHistory(world.client, listingWorkflowId(happy), 'housing-listing-handover');
  });

  it('records every step as an event with its actor, and in the workflow history', async () => {
    const events = await eventsOf(happy);
    const actorOf = (type: string) => events.find((e) => e.type === type)!.metadata.actor;
    expect(actorOf('ListingRegistered')).toBe('housing_task_force:negotiator-1');
    expect(actorOf('SurveyReportFiled')).toBe('appraiser:surveyor-1');
    expect(actorOf('OfferMade')).toBe('housing_task_force:negotiator-1');
    expect(actorOf('PriceApprovalDecided')).toBe('housing_task_force:approver-1');
    expect(actorOf('PurchaseAdmitted')).toBe('system:purchase-plan');
    for (const e of events.filter((e) => e.type !== 'ListingRegistered'))
      expect(e.metadata.workflowId).toBe(listingWorkflowId(happy));
    expect(events.find((e) => e.type === 'PriceApprovalDecided')!.data).toMatchObject({
      by: 'approver-1',
      negotiator: 'negotiator-1',
      approved: true,
    });

    const history = await world.client.workflow.getHandle(listingWorkflowId(happy)).fetchHistory();
    // Waits on other organisations are activities; quick bookkeeping steps are local activities (markers).
    const activities = new Set(
      history.events!.flatMap((e) =>
        e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name!] : [],
      ),
    );
    expect([...activities].sort()).toEqual(['obtainLoanDecision', 'paySeller', 'registerPurchase']);
    const local = new Set(
      history.events!.flatMap((e) => {
        const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
        return data
          ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string }).activity_type]
          : [];
      }),
    );
    for (const name of [
      'screenListing',
      'assessPriority',
      'recordAdmission',
      'recordSurvey',
      'commissionAppraisal',
      'recordOffer',
      'recordApproval',
      'signContract',
      'drawLoan',
      'handOver',
    ]) {
      expect(local).toContain(name);
    }
    // Each step's event names the activity that wrote it: the record and the history tell the same story.
    const writers = new Set(events.map((e) => e.metadata.activity).filter(Boolean));
    for (const name of [
      'screenListing',
      'assessPriority',
      'recordAdmission',
      'recordSurvey',
      'commissionAppraisal',
      'recordOffer',
      'recordApproval',
      'signContract',
      'registerPurchase',
      'obtainLoanDecision',
      'drawLoan',
      'paySeller',
      'handOver',
    ]) {
      expect(writers).toContain(name);
    }
    const updates = history.events!.flatMap((e) =>
      e.workflowExecutionUpdateAcceptedEventAttributes
        ? [e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest!.input!.name!]
        : [],
    );
    expect(updates).toEqual(['fileSurveyReport', 'submitOffer', 'decideApproval']);
    const signals = history.events!.flatMap((e) =>
      e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes.signalName!] : [],
    );
    expect(signals).toEqual(['admitted']);

    // The record holds: the hash chain verifies and the query tables rebuild from the events alone.
    expect(await verifyChain(world.deps.store)).toMatchObject({ ok: true });
    expect((await rebuildAndCompare(world.deps.db, world.deps.store, allProjections)).differences).toEqual([]);
  });

  it('refuses an offer above the appraisal, then takes one at the cap', async () => {
    const id = await register(api, home(2));
    await reach(api, id, 'survey');
    await call(api, 'POST', `/housing/listings/${id}/survey`, t.surveyor!, { passed: true });
    const { capFen } = await reach(api, id, 'negotiation');
    const above = await call(api, 'POST', `/housing/listings/${id}/offers`, t.negotiator!, {
      priceFen: capFen! + 1,
      sellerAccepted: true,
    });
    expect(above.status).toBe(409);
    expect(above.body.message).toMatch(/above the price cap/);
    expect(await typesOf(id)).not.toContain('OfferMade');

    expect(
      (
        await call(api, 'POST', `/housing/listings/${id}/offers`, t.negotiator!, {
          priceFen: capFen!,
          sellerAccepted: true,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call(api, 'POST', `/housing/listings/${id}/approval`, t.approver!, {
          approved: true,
          reason: 'at the appraisal',
        })
      ).status,
    ).toBe(200);
    expect(await outcomeOf(id)).toMatchObject({ outcome: 'handed_over' });
    const offers = (await eventsOf(id)).filter((e) => e.type === 'OfferMade').map((e) => e.data);
    expect(offers).toEqual([expect.objectContaining({ offerNo: 1, priceFen: capFen, capFen })]);
  });

  it('refuses an approver who is the negotiator (four eyes)', async () => {
    const id = await register(api, home(3));
    await reach(api, id, 'survey');
    await call(api, 'POST', `/housing/listings/${id}/survey`, t.surveyor!, { passed: true });
    const { capFen } = await reach(api, id, 'negotiation');
    expect(
      (
        await call(api, 'POST', `/housing/listings/${id}/offers`, t.negotiator!, {
          priceFen: capFen! - 100_000,
          sellerAccepted: true,
        })
      ).status,
    ).toBe(200);
    const self = await call(api, 'POST', `/housing/listings/${id}/approval`, t.negotiator!, {
      approved: true,
      reason: 'looks fine',
    });
    expect(self.status).toBe(409);
    expect(self.body.message).toMatch(/negotiated this price and may not approve it/);
    // An auditor reads but never approves.
    expect((await call(api, 'POST', `/housing/listings/${id}/approval`, t.auditor!, { approved: true })).status).toBe(
      403,
    );
    expect(await typesOf(id)).not.toContain('PriceApprovalDecided');

    expect(
      (
        await call(api, 'POST', `/housing/listings/${id}/approval`, t.approver!, {
          approved: true,
          reason: 'second pair of eyes',
        })
      ).status,
    ).toBe(200);
    expect(await outcomeOf(id)).toMatchObject({ outcome: 'handed_over' });
  });

  it('holds a home above 140 m² for an exception: granted goes on, refused is rejected with its reasons', async () => {
    const big = await register(api, home(4, { floorAreaM2: '152.30' }));
    const waiting = await reach(api, big, 'awaiting_decision');
    expect(waiting.pendingDecisions).toEqual(['area_exception']);
    // Past the reminder, the task force is reminded (a recorded event).
    await eventually(async () => ((await typesOf(big)).includes('ReminderSent') ? true : undefined));
    expect(
      (await call(api, 'POST', `/housing/listings/${big}/area-exception`, t.finance!, { granted: true, reason: 'x' }))
        .status,
    ).toBe(403);
    const granted = await call(api, 'POST', `/housing/listings/${big}/area-exception`, t.approver!, {
      granted: true,
      reason: '多孩家庭需求，专班会议纪要〔2025〕3号',
    });
    expect(granted.status).toBe(200);
    await reach(api, big, 'survey');
    const screened = (await eventsOf(big)).find((e) => e.type === 'ListingScreened')!.data as {
      verdict: string;
      checks: { rule: string; reason: string }[];
    };
    expect(screened.verdict).toBe('eligible');
    expect(screened.checks.find((c) => c.rule === 'floor_area')!.reason).toMatch(
      /152\.30 m² > 140\.00 m²; exception granted by approver-1: 多孩家庭需求/,
    );
    expect((await eventsOf(big)).find((e) => e.type === 'AreaExceptionDecided')!.metadata.actor).toBe(
      'housing_task_force:approver-1',
    );
    await agreeOnPrice(api, big);
    expect(await outcomeOf(big)).toMatchObject({ outcome: 'handed_over' });

    const bigger = await register(api, home(5, { floorAreaM2: '180.00' }));
    await reach(api, bigger, 'awaiting_decision');
    expect(
      (
        await call(api, 'POST', `/housing/listings/${bigger}/area-exception`, t.approver!, {
          granted: false,
          reason: '面积过大，不符合小户型为主',
        })
      ).status,
    ).toBe(200);
    const rejected = await outcomeOf(bigger);
    expect(rejected.outcome).toBe('rejected');
    expect(rejected.reasons.join(' ')).toMatch(/exception refused by approver-1: 面积过大/);
    // (A reminder may or may not come first: the decision races the 200 ms reminder.)
    expect((await typesOf(bigger)).filter((type) => type !== 'ReminderSent')).toEqual([
      'ListingRegistered',
      'AreaExceptionDecided',
      'ListingScreened',
      'ListingClosed',
    ]);
  });

  it('takes a home outside the core areas only on a recorded case-by-case decision (一事一议)', async () => {
    const id = await register(
      api,
      home(6, {
        region: 'weidu',
        kind: 'new_stock',
        certificates: ['land_use', 'land_planning', 'construction_planning', 'construction_permit', 'sales_permit'],
      }),
    );
    const waiting = await reach(api, id, 'awaiting_decision');
    expect(waiting.pendingDecisions).toEqual(['case_by_case']);
    expect(
      (
        await call(api, 'POST', `/housing/listings/${id}/case-decision`, t.approver!, {
          granted: true,
          reason: '临近产业园区，需求迫切（周例会纪要）',
        })
      ).status,
    ).toBe(200);
    await agreeOnPrice(api, id);
    expect(await outcomeOf(id)).toMatchObject({ outcome: 'handed_over' });
    const events = await eventsOf(id);
    expect(events.find((e) => e.type === 'CaseByCaseDecided')!.data).toMatchObject({ granted: true, by: 'approver-1' });
    const screened = events.find((e) => e.type === 'ListingScreened')!.data as {
      checks: { rule: string; reason: string }[];
    };
    expect(screened.checks.find((c) => c.rule === 'region')!.reason).toMatch(/一事一议 approved by approver-1/);
    // New stock: the cap is the lower of the appraisal and the policy ceiling per m² × area.
    const cap = events.find((e) => e.type === 'PriceCapSet')!.data as {
      capFen: number;
      appraisalFen: number;
      ceilingFen: number;
    };
    expect(cap.ceilingFen).toBe(650_000 * 89.5);
    expect(cap.capFen).toBe(Math.min(cap.appraisalFen, cap.ceilingFen));
    await recordHistory(world.client, listingWorkflowId(id), 'housing-listing-case-by-case');
  });

  it('rejects a new-stock home without its five certificates, with the reason', async () => {
    const id = await register(api, home(7, { kind: 'new_stock', certificates: ['land_use', 'sales_permit'] }));
    const outcome = await outcomeOf(id);
    expect(outcome.outcome).toBe('rejected');
    expect(outcome.reasons.join(' ')).toMatch(
      /工作任务\(三\): missing land_planning, construction_planning, construction_permit/,
    );
  });

  it('falls back to capital when the loan is refused and the plan has the capital', async () => {
    const id = await register(api, home(8));
    world.refuseLoan.add(id);
    await agreeOnPrice(api, id);
    expect(await outcomeOf(id)).toMatchObject({ outcome: 'handed_over' });
    const types = await typesOf(id);
    expect(types).toContain('LoanRefused');
    expect(types).toContain('LoanFallbackToCapital');
    expect(types).not.toContain('LoanDrawn');
    const fallback = (await eventsOf(id)).find((e) => e.type === 'LoanFallbackToCapital')!;
    expect(fallback.data).toMatchObject({ loanFen: 0 });
    expect(fallback.metadata.actor).toBe('system:purchase-plan');
  });

  it('terminates the contract and unwinds the registration when a refused loan cannot fall back to capital', async () => {
    // A plan of its own whose capital covers only the capital share: nothing to fall back on.
    const tightPlan = `${planId}-tight`;
    const tight = await world.api(tightPlan);
    await fund(tight, 24_000_000, 56_000_000, '许财〔2025〕2号');
    const id = await register(tight, home(9));
    world.refuseLoan.add(id);
    await agreeOnPrice(tight, id);
    const outcome = await outcomeOf(id);
    expect(outcome.outcome).toBe('terminated');
    expect(outcome.reasons[0]).toMatch(/loan refused .*free capital 0 fen does not cover/);
    const types = await typesOf(id);
    // Registration and the loan decision run side by side; the compensations follow both, newest undone first.
    expect(types.indexOf('LoanRefused')).toBeLessThan(types.indexOf('RegistrationUnwound'));
    expect(types.indexOf('RegistrationCompleted')).toBeLessThan(types.indexOf('RegistrationUnwound'));
    expect(types.slice(types.indexOf('RegistrationUnwound'))).toEqual([
      'RegistrationUnwound',
      'ContractTerminated',
      'FundsReleased',
      'ListingClosed',
    ]);
    const unwound = (await eventsOf(id)).find((e) => e.type === 'RegistrationUnwound')!.data as {
      certificateNo: string;
    };
    expect(await world.adapters.registry.isRegistered(unwound.certificateNo)).toBe(false);
    expect(await world.deps.bank.queryPayments([`housing-seller-${id}#1`])).toEqual([]);
    // Everything reserved went back to the plan.
    const state = await eventually(async () => {
      const s = await world.client.workflow.getHandle(tightPlan).query(planStateQuery);
      return Object.keys(s.reserved).length === 0 ? s : undefined;
    });
    expect(state.funds.capital.reservedFen + state.funds.loan.reservedFen).toBe(0);
    await recordHistory(world.client, listingWorkflowId(id), 'housing-listing-loan-refused');
  });

  it('cancels the loan and terminates the contract when the registry fails', async () => {
    const id = await register(api, home(10));
    world.failRegistration.add(id);
    await agreeOnPrice(api, id);
    const outcome = await outcomeOf(id);
    expect(outcome).toMatchObject({
      outcome: 'terminated',
      reasons: ['registration failed: mortgage on the title (查封)'],
    });
    const types = await typesOf(id);
    expect(types).toContain('RegistrationFailed');
    expect(types.slice(-4)).toEqual(['LoanCancelled', 'ContractTerminated', 'FundsReleased', 'ListingClosed']);
    expect(types).not.toContain('LoanDrawn');
    expect(await world.deps.bank.queryPayments([`housing-seller-${id}#1`])).toEqual([]);
    const listing = await world.deps.db
      .selectFrom('housing_listings')
      .selectAll()
      .where('listing_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(listing).toMatchObject({ status: 'terminated', committed: false });
  });

  it('keeps the purchase plan consistent: nothing reserved once every listing has ended', async () => {
    const state = await eventually(async () => {
      const s = await world.client.workflow.getHandle(planId).query(planStateQuery);
      return Object.keys(s.reserved).length === 0 ? s : undefined;
    });
    expect(state.queue).toEqual([]);
    expect(state.funds.capital.reservedFen).toBe(0);
    const spent = await world.deps.db
      .selectFrom('housing_rental_stock')
      .select((eb) => eb.fn.sum<string>('price_fen').as('total'))
      .executeTakeFirstOrThrow();
    expect(state.funds.capital.spentFen + state.funds.loan.spentFen).toBe(Number(spent.total));
    await recordHistory(world.client, planId, 'housing-purchase-plan');
  });
});
