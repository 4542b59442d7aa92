import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect } from '../../subsidy/activities/bulk';
import { RowsInPersonOrder } from '../../subsidy/activities/compute';
import { createTestDatabase, type TestDatabase } from '../support/database';

// The compute step reads an extract's valid rows once, sorted by PostgreSQL, in batches of whole persons.
// Batches of 3 rows here, over persons of 1, 2, 5 (more than a batch) and 3 rows, lines out of order,
// a quarantined row and another extract's rows beside them.
let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase('person_order');
  const rows: [string, number, string, string | null][] = [
    ['x', 1, 'p2', null],
    ['x', 2, 'p5', null],
    ['x', 3, 'p1', null],
    ['x', 4, 'p5', null],
    ['x', 5, 'p3', null],
    ['x', 6, 'p5', null],
    ['x', 7, 'p2', null],
    ['x', 8, 'p5', 'bad_id'],
    ['x', 9, 'p5', null],
    ['x', 10, 'p3', null],
    ['x', 11, 'p5', null],
    ['x', 12, 'p4', null],
    ['x', 13, 'p5', null],
    ['x', 14, 'p3', null],
    ['y', 1, 'p1', null],
  ];
  for (const [hash, line, person, quarantine] of rows) {
    await testDb.db
      .insertInto('extract_rows')
      .values({
        extract_hash: hash,
        line_no: line,
        record_id: `r${line}`,
        person_ref: person,
        hospital: 'h',
        admission_date: '2025-07-01',
        discharge_date: '2025-07-02',
        exclusion: null,
        self_application: null,
        content_hash: `c${line}`,
        quarantine_reason: quarantine,
        quarantine_detail: null,
      })
      .execute();
  }
});
afterAll(async () => {
  await testDb?.drop();
});

async function batches(after: string): Promise<string[][]> {
  const client = await connect(testDb.url);
  try {
    const reader = RowsInPersonOrder.open(client, 'x', after, 3);
    const out: string[][] = [];
    for (let rows = await reader.next(); rows.length > 0; rows = await reader.next())
      out.push(rows.map((r) => `${r.person_ref}:${r.line_no}`));
    await reader.close();
    return out;
  } finally {
    await client.end();
  }
}

it('hands out whole persons in person and line order, a person longer than a batch in one piece', async () => {
  // A read that ends on a person holds that person back: their rows may go on in the next read.
  expect(await batches('')).toEqual([
    ['p1:3'],
    ['p2:1', 'p2:7'],
    ['p3:5', 'p3:10', 'p3:14', 'p4:12'],
    ['p5:2', 'p5:4', 'p5:6', 'p5:9', 'p5:11', 'p5:13'],
  ]);
});

it('starts after the person a resumed attempt last committed', async () => {
  expect((await batches('p3')).flat()).toEqual(['p4:12', 'p5:2', 'p5:4', 'p5:6', 'p5:9', 'p5:11', 'p5:13']);
  expect(await batches('p5')).toEqual([]);
});
