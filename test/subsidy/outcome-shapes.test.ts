import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildAndCompare } from '../../app/audit/rebuild';
import { allProjections } from '../../app/projections';
import { EventStore, verifyChain } from '../../platform/eventstore';
import { subsidyEvent } from '../../subsidy/context';
import { type RowOutcomeRecord, toOutcomeColumns } from '../../subsidy/contracts/events';
import { createTestDatabase, type TestDatabase } from '../support/database';

// Row outcomes were written one object per row until 2026-12, column by column since: both shapes
// must project the same rows, and an auditor's rebuild must reproduce them from either.

let testDb: TestDatabase;
let store: EventStore;
const metadata = { actor: 'test:outcome-shapes' };

const outcome = (lineNo: number, overrides: Partial<RowOutcomeRecord> = {}): RowOutcomeRecord => ({
  lineNo,
  recordId: `R${lineNo}`,
  personRef: `p${lineNo % 3}`,
  jurisdiction: lineNo % 2 ? '411002' : null,
  outcome: 'not_eligible',
  reason: 'not_on_roster',
  nights: 0,
  amountFen: 0,
  paymentId: null,
  explanation: [{ kind: 'not_on_roster' }],
  ...overrides,
});

const rows: RowOutcomeRecord[] = [
  outcome(1),
  outcome(2, {
    outcome: 'paid',
    reason: null,
    nights: 3,
    amountFen: 30_000,
    paymentId: 'c:411002:1',
    explanation: [{ kind: 'counted', from: '2019-07-01', to: '2019-07-03' } as never],
  }),
  outcome(3, { outcome: 'quarantined', reason: 'impossible_date', personRef: null, explanation: [] }),
  outcome(4, { recordId: 'with "quotes", commas and 中文', reason: null, outcome: 'excluded' }),
];

beforeAll(async () => {
  testDb = await createTestDatabase('outcome_shapes');
  store = new EventStore(testDb.db, allProjections);
  await store.append(
    'test-cycle-rows',
    [subsidyEvent('RowOutcomesRecorded', { cycleId: 'cycle-rows', rows }, 'rows')],
    { metadata },
  );
  await store.append(
    'test-cycle-columns',
    [subsidyEvent('RowOutcomesRecorded', { cycleId: 'cycle-columns', columns: toOutcomeColumns(rows) }, 'columns')],
    { metadata },
  );
});
afterAll(() => testDb.drop());

describe('row outcomes, one object per row or column by column', () => {
  it('project the same rows', async () => {
    const read = async (cycleId: string) =>
      (
        await sql<Record<string, unknown>>`select line_no, record_id, person_ref, jurisdiction, outcome, reason, nights,
          amount_fen, payment_id, explanation from row_outcomes where cycle_id = ${cycleId} order by line_no`.execute(
          testDb.db,
        )
      ).rows;
    const byRows = await read('cycle-rows');
    expect(byRows).toHaveLength(rows.length);
    expect(await read('cycle-columns')).toEqual(byRows);
    expect(byRows[1]).toMatchObject({ line_no: 2, payment_id: 'c:411002:1', amount_fen: '30000', nights: 3 });
    expect(byRows[3]!.record_id).toBe('with "quotes", commas and 中文');
    expect(byRows[0]!.explanation).toEqual([{ kind: 'not_on_roster' }]);
  });

  it('rebuild equal from the events, and the chain verifies', async () => {
    const report = await rebuildAndCompare(testDb.db, store, allProjections);
    expect(report.differences).toEqual([]);
    expect(await verifyChain(store)).toMatchObject({ ok: true, count: 2 });
  });
});
