import { type Kysely, sql } from 'kysely';
import type { Database } from '../../platform/db/schema';
import type { Projection, StoredEvent } from '../../platform/eventstore';
import { type HousingEvent, homeKeyOf } from '../contracts/events';

type Db = Kysely<Database>;
type Handlers = {
  [T in HousingEvent['type']]: (db: Db, data: Extract<HousingEvent, { type: T }>['data'], at: string) => Promise<void>;
};

const TABLES = [
  'housing_listings',
  'housing_demand',
  'housing_buildings',
  'housing_rental_stock',
  'housing_plan_funds',
  'housing_reservations',
  'housing_complexes',
] as const;

/** A reservation of the plan follows its listing: taken at admission, moved by a capital fallback, spent at handover, or released. */
function reservation(db: Db, listingId: string, set: Partial<Record<string, unknown>>) {
  return db
    .updateTable('housing_reservations')
    .set(set as never)
    .where('listing_id', '=', listingId)
    .where('status', '=', 'reserved')
    .execute();
}

/** Sets columns of one listing; every change also stamps the time of the event that made it. */
function listing(db: Db, listingId: string, at: string, set: Partial<Record<string, unknown>>) {
  return db
    .updateTable('housing_listings')
    .set({ ...set, updated_at: at } as never)
    .where('listing_id', '=', listingId)
    .execute();
}

// `stage` is what the listing waits for next (a work list for the task force); `status` is open
// until the workflow ends; `committed` counts the listing against its area's demand (以需定购).
const handlers: Handlers = {
  ListingRegistered: async (db, d, at) => {
    await db
      .insertInto('housing_listings')
      .values({
        listing_id: d.listingId,
        kind: d.kind,
        region: d.region,
        address: d.address,
        complex: d.complex,
        building: d.building,
        unit: d.unit,
        floor_area_dm2: d.floorAreaDm2,
        asking_fen: d.askingFen,
        seller_ref: d.sellerRef,
        registered_on: d.registeredOn,
        stage: 'screening',
        status: 'open',
        committed: false,
        first_in_line: null,
        capital_fen: null,
        loan_fen: null,
        appraisal_fen: null,
        cap_fen: null,
        agreed_fen: null,
        monthly_rent_fen: null,
        certificate_no: null,
        updated_at: at,
        home_key: homeKeyOf(d.address, d.unit),
        property_certificate_no: d.propertyCertificateNo ?? null,
        new_home_contract: d.newHome?.contract ?? null,
      })
      .execute();
  },
  DemandRegistered: async (db, d) => {
    await db
      .insertInto('housing_demand')
      .values({ region: d.region, units: d.units })
      .onConflict((oc) => oc.column('region').doUpdateSet({ units: sql`housing_demand.units + excluded.units` }))
      .execute();
  },
  BuildingIntentRecorded: async (db, d) => {
    const row = {
      building_key: d.buildingKey,
      complex: d.complex,
      building: d.building,
      owners_total: d.ownersTotal,
      owners_willing: d.ownersWilling,
    };
    await db
      .insertInto('housing_buildings')
      .values(row)
      .onConflict((oc) =>
        oc.column('building_key').doUpdateSet({ owners_total: d.ownersTotal, owners_willing: d.ownersWilling }),
      )
      .execute();
  },
  AreaExceptionDecided: async () => {},
  CaseByCaseDecided: async () => {},
  ReminderSent: async () => {},
  ListingScreened: async (db, d, at) => {
    await listing(
      db,
      d.listingId,
      at,
      d.verdict === 'eligible'
        ? { stage: 'waiting_for_turn', committed: true }
        : { stage: 'rejected', status: 'rejected' },
    );
  },
  PriorityAssessed: async (db, d, at) => listing(db, d.listingId, at, { first_in_line: d.firstInLine }).then(() => {}),
  PurchaseAdmitted: async (db, d, at) => {
    await listing(db, d.listingId, at, { stage: 'survey', capital_fen: d.capitalFen, loan_fen: d.loanFen });
    // The reservation the plan made for this listing (recorded once: its event id is the listing's).
    await db
      .insertInto('housing_reservations')
      .values({
        listing_id: d.listingId,
        plan_id: d.planId,
        status: 'reserved',
        capital_fen: d.capitalFen,
        loan_fen: d.loanFen,
        spent_capital_fen: 0,
        spent_loan_fen: 0,
      })
      .onConflict((oc) => oc.column('listing_id').doNothing())
      .execute();
  },
  SurveyReportFiled: async (db, d, at) =>
    listing(db, d.listingId, at, { stage: d.passed ? 'appraisal' : 'survey_failed' }).then(() => {}),
  AppraisalCommissioned: async () => {},
  AppraisalReceived: async (db, d, at) =>
    listing(db, d.listingId, at, { appraisal_fen: d.valueFen, monthly_rent_fen: d.marketRentFen }).then(() => {}),
  PriceCapSet: async (db, d, at) =>
    listing(db, d.listingId, at, { stage: 'negotiation', cap_fen: d.capFen }).then(() => {}),
  OfferMade: async (db, d, at) => {
    if (d.sellerAccepted) await listing(db, d.listingId, at, { stage: 'approval', agreed_fen: d.priceFen });
  },
  PriceApprovalDecided: async (db, d, at) =>
    listing(db, d.listingId, at, d.approved ? { stage: 'contract' } : { stage: 'negotiation', agreed_fen: null }).then(
      () => {},
    ),
  ContractSigned: async (db, d, at) =>
    listing(db, d.listingId, at, { stage: 'registration', capital_fen: d.capitalFen, loan_fen: d.loanFen }).then(
      () => {},
    ),
  RegistrationFiled: async () => {},
  RegistrationCompleted: async (db, d, at) =>
    listing(db, d.listingId, at, { stage: 'loan', certificate_no: d.certificateNo }).then(() => {}),
  RegistrationFailed: async (db, d, at) => listing(db, d.listingId, at, { stage: 'compensation' }).then(() => {}),
  LoanApplied: async () => {},
  LoanApproved: async () => {},
  LoanRefused: async () => {},
  LoanFallbackToCapital: async (db, d, at) => {
    await listing(db, d.listingId, at, { capital_fen: d.capitalFen, loan_fen: d.loanFen });
    // As the plan does (fallbackToCapital): the refused loan moves from the loan pool to the capital pool.
    await reservation(db, d.listingId, {
      capital_fen: sql`capital_fen + ${d.refusedLoanFen}`,
      loan_fen: sql`greatest(0, loan_fen - ${d.refusedLoanFen})`,
    });
  },
  LoanDrawn: async (db, d, at) => listing(db, d.listingId, at, { stage: 'payment' }).then(() => {}),
  LoanCancelled: async () => {},
  RegistrationUnwound: async (db, d, at) => listing(db, d.listingId, at, { certificate_no: null }).then(() => {}),
  ContractTerminated: async (db, d, at) => listing(db, d.listingId, at, { stage: 'compensation' }).then(() => {}),
  SellerPaymentInstructed: async (db, d, at) => listing(db, d.listingId, at, { stage: 'payment' }).then(() => {}),
  SellerPaid: async (db, d, at) => listing(db, d.listingId, at, { stage: 'handover' }).then(() => {}),
  SellerPaymentHeld: async (db, d, at) => listing(db, d.listingId, at, { stage: 'payment_held' }).then(() => {}),
  SellerPaymentIssued: async (db, d, at) => listing(db, d.listingId, at, { stage: 'payment' }).then(() => {}),
  SellerPaymentReissueDecided: async (db, d, at) => listing(db, d.listingId, at, { stage: 'payment' }).then(() => {}),
  SellerPaymentUnwindDecided: async (db, d, at) =>
    listing(db, d.listingId, at, { stage: 'compensation' }).then(() => {}),
  StepFailed: async () => {},
  AttemptRefused: async () => {},
  ComplexIntentRecorded: async (db, d) => {
    await db
      .insertInto('housing_complexes')
      .values({ complex: d.complex, owners_total: d.ownersTotal, owners_willing: d.ownersWilling })
      .onConflict((oc) =>
        oc.column('complex').doUpdateSet({ owners_total: d.ownersTotal, owners_willing: d.ownersWilling }),
      )
      .execute();
  },
  HomeHandedOver: async (db, d, at) => {
    await listing(db, d.listingId, at, { stage: 'handed_over', status: 'handed_over' });
    // Spent what the contract cost, by source (the listing's funding after any capital fallback).
    const funded = await db
      .selectFrom('housing_listings')
      .select(['capital_fen', 'loan_fen'])
      .where('listing_id', '=', d.listingId)
      .executeTakeFirst();
    await reservation(db, d.listingId, {
      status: 'spent',
      spent_capital_fen: funded?.capital_fen ?? 0,
      spent_loan_fen: funded?.loan_fen ?? 0,
    });
    await db
      .insertInto('housing_rental_stock')
      .values({
        listing_id: d.listingId,
        region: d.region,
        floor_area_dm2: d.floorAreaDm2,
        monthly_rent_fen: d.monthlyRentFen,
        price_fen: d.priceFen,
        handed_over_at: at,
      })
      .execute();
  },
  FundsReleased: async (db, d) => reservation(db, d.listingId, { status: 'released' }).then(() => {}),
  ListingClosed: async (db, d, at) => {
    // A purchase that did not happen no longer counts against its area's demand.
    const ended = d.outcome !== 'handed_over' && d.outcome !== 'payment_held';
    await listing(db, d.listingId, at, { stage: d.outcome, status: d.outcome, ...(ended ? { committed: false } : {}) });
  },
  PlanFundsAdded: async (db, d) => {
    await db
      .insertInto('housing_plan_funds')
      .values({ plan_id: d.planId, source: d.source, total_fen: d.amountFen })
      .onConflict((oc) =>
        oc
          .columns(['plan_id', 'source'])
          .doUpdateSet({ total_fen: sql`housing_plan_funds.total_fen + excluded.total_fen` }),
      )
      .execute();
  },
};

/** Keeps the housing query tables in step with the housing events (in the append's transaction). */
export const housingProjection: Projection = {
  name: 'housing',
  tables: TABLES,
  async apply(db, events: readonly StoredEvent[]) {
    for (const event of events) {
      if (!Object.hasOwn(handlers, event.type)) continue;
      const handler = handlers[event.type as HousingEvent['type']] as (
        db: Db,
        data: unknown,
        at: string,
      ) => Promise<void>;
      await handler(db, event.data, event.recordedAt);
    }
  },
};
