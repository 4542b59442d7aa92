import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordApproval, recordOffer } from '../../housing/activities/purchase';
import type { HousingDeps } from '../../housing/context';
import { housingStreams } from '../../housing/contracts/events';
import {
  appraisalCommissioned,
  decideListing,
  evolveListing,
  type ListingDecisionState,
  negotiationOpened,
  openListing,
} from '../../housing/decide/listing';
import { EventStore, eventIdFor } from '../../platform/eventstore';
import { createTestDatabase, type TestDatabase } from '../support/database';

// A listing's people decide from its events: the same decide/evolve serve the listing workflow's validators and
// the activities, which fold the listing's stream and append at the version they saw. Four eyes is written once.
const zhang = { subject: 'zhang', role: 'housing_task_force' };
const li = { subject: 'li', role: 'housing_task_force' };

describe('decide and evolve (pure)', () => {
  const open = negotiationOpened(openListing('HL-1'), { capFen: 1_000_000, askingFen: 1_200_000 });
  const folded = (state: ListingDecisionState, ...events: ReturnType<typeof decideListing>) =>
    events.reduce(evolveListing, state);

  it('an offer under the cap the seller accepts awaits a second person; its negotiator may not approve it', () => {
    const offered = folded(
      open,
      ...decideListing(open, { kind: 'offer', actor: zhang, priceFen: 900_000, sellerAccepted: true }),
    );
    expect(offered.agreed).toEqual({ offerNo: 1, priceFen: 900_000, negotiator: 'zhang' });
    expect(() =>
      decideListing(offered, { kind: 'offer', actor: li, priceFen: 800_000, sellerAccepted: false }),
    ).toThrow('offer 1 awaits approval');
    expect(() => decideListing(offered, { kind: 'approval', actor: zhang, approved: true, reason: '' })).toThrow(
      'zhang negotiated this price and may not approve it',
    );
    const refused = folded(
      offered,
      ...decideListing(offered, { kind: 'approval', actor: li, approved: false, reason: 'too high' }),
    );
    expect(refused.agreed).toBeUndefined();
    const second = decideListing(refused, { kind: 'offer', actor: li, priceFen: 850_000, sellerAccepted: true });
    expect(second[0]).toMatchObject({ type: 'OfferMade', data: { offerNo: 2, by: 'li' } });
  });

  it('one survey report, by a surveying role; a failed one names its defects', () => {
    const listing = openListing('HL-2');
    const survey = { kind: 'survey' as const, actor: zhang, passed: false, defects: [], photoRefs: [] };
    expect(() => decideListing(listing, survey)).toThrow('a failed survey names its defects');
    const filed = folded(listing, ...decideListing(listing, { ...survey, passed: true }));
    expect(() => decideListing(filed, { ...survey, passed: true })).toThrow('HL-2 awaits no survey report');
    expect(() => decideListing(listing, { ...survey, actor: { subject: 'x', role: 'finance' } })).toThrow(
      'x (finance) may not file a survey report',
    );
  });

  it('only the commissioned firm submits the appraisal, once', () => {
    const firm = { subject: 'firm-a', role: 'appraiser' };
    const report = {
      kind: 'appraisal' as const,
      actor: firm,
      valueFen: 900_000,
      marketRentFen: 2_000,
      reportRef: 'R-1',
    };
    expect(() => decideListing(openListing('HL-3'), report)).toThrow('HL-3 awaits no appraisal');
    const commissioned = appraisalCommissioned(openListing('HL-3'), 'firm-a');
    expect(decideListing(commissioned, report)).toEqual([]);
    expect(() => decideListing(commissioned, { ...report, actor: { subject: 'firm-b', role: 'appraiser' } })).toThrow(
      'firm-b is not the firm commissioned for HL-3',
    );
    expect(() => decideListing(commissioned, { ...report, valueFen: 0 })).toThrow('positive whole numbers of fen');
    const capped = negotiationOpened(commissioned, { capFen: 900_000, askingFen: 1_000_000 });
    expect(() => decideListing(capped, report)).toThrow('HL-3 awaits no appraisal');
  });

  it('refuses an offer above the cap, before the cap, and by a role that may not negotiate', () => {
    expect(() =>
      decideListing(open, { kind: 'offer', actor: zhang, priceFen: 1_000_001, sellerAccepted: true }),
    ).toThrow(/above the price cap/);
    expect(() =>
      decideListing(openListing('HL-1'), { kind: 'offer', actor: zhang, priceFen: 1, sellerAccepted: true }),
    ).toThrow('HL-1 is not in negotiation');
    const appraiser = { subject: 'firm', role: 'appraiser' };
    expect(() => decideListing(open, { kind: 'offer', actor: appraiser, priceFen: 1, sellerAccepted: true })).toThrow(
      'firm (appraiser) may not negotiate',
    );
  });
});

describe('the activities decide on the listing stream (real PostgreSQL)', () => {
  let testDb: TestDatabase;
  let deps: HousingDeps;
  beforeAll(async () => {
    testDb = await createTestDatabase('listing_decisions');
    // The decisions need the event store only; no projection runs on these hand-made facts.
    deps = { store: new EventStore(testDb.db) } as unknown as HousingDeps;
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  it('four eyes holds in the activity too; an offer and an approval are appended once however often retried', async () => {
    const listingId = 'HL-00000000000000aa';
    const stream = housingStreams.listing(listingId);
    const facts = [
      { type: 'ListingRegistered', data: { listingId, askingFen: 1_200_000 } },
      { type: 'PriceCapSet', data: { listingId, capFen: 1_000_000 } },
    ];
    await deps.store.append(
      stream,
      facts.map((fact) => ({ eventId: eventIdFor('test', fact.type, listingId), ...fact })),
      { metadata: { actor: 'test' } },
    );
    const above = await recordOffer(deps, {
      listingId,
      offerNo: 1,
      priceFen: 1_000_001,
      sellerAccepted: true,
      actor: zhang,
    }).catch((e: unknown) => e);
    expect(above).toBeInstanceOf(ApplicationFailure);
    expect(above).toMatchObject({ nonRetryable: true, type: 'OfferAboveCap' });

    const offer = { listingId, offerNo: 1, priceFen: 900_000, sellerAccepted: true, actor: zhang };
    await recordOffer(deps, offer);
    await recordOffer(deps, offer);
    const approval = { listingId, offerNo: 1, priceFen: 900_000, negotiator: 'zhang', approved: true, reason: 'ok' };
    // The workflow's validator refuses this first; the activity refuses it on the stream alone.
    const self = await recordApproval(deps, { ...approval, actor: zhang }).catch((e: unknown) => e);
    expect(self).toMatchObject({ nonRetryable: true, type: 'FourEyes' });
    await recordApproval(deps, { ...approval, actor: li });
    await recordApproval(deps, { ...approval, actor: li });
    const events = await deps.store.readStream(stream);
    expect(events.map((e) => e.type)).toEqual([
      'ListingRegistered',
      'PriceCapSet',
      'OfferMade',
      'PriceApprovalDecided',
    ]);
    expect(events[3]!.data).toMatchObject({ by: 'li', negotiator: 'zhang', approved: true });
  });
});
