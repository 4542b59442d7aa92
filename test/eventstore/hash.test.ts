import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashedEvent } from '../../platform/eventstore/hash';

// The store serialises an event's data once and splices it into the canonical envelope; an auditor
// recomputes the hash from the whole event with any RFC 8785 implementation. Both must agree.
describe('hashedEvent', () => {
  const fields = (data: unknown) => ({
    eventId: '6f1c0f0e-3b0a-5d7e-9a51-2b8f4c1d7e90',
    streamId: 'subsidy-cycle-2025Q3',
    streamVersion: 7,
    type: 'RowOutcomesRecorded',
    data,
    metadata: { actor: 'system', zeta: [1, 2], alpha: '许昌' },
    recordedAt: '2026-11-30T18:00:00.000Z',
  });
  const datas: unknown[] = [
    { cycleId: 'c', columns: { lineNo: [3, 1, 2], reason: [null, 'overlap', '不在名单'], amountFen: [0, 1e15, -5] } },
    { z: { y: { x: [{ b: 1, a: 2 }] } }, a: '\u2028 "quoted" \\ \u0000' },
    [],
    'just a string',
    0,
    null,
  ];
  for (const data of datas) {
    it(`agrees with canonicalising the whole event: ${JSON.stringify(data).slice(0, 40)}`, () => {
      const event = fields(data);
      const whole = canonicalize({ prevHash: GENESIS_HASH, ...event })!;
      const hashed = hashedEvent(GENESIS_HASH, event);
      expect(hashed.hash).toBe(createHash('sha256').update(whole).digest('hex'));
      expect(hashed.data).toBe(canonicalize(data));
      expect(JSON.parse(hashed.data)).toEqual(data);
    });
  }

  it('changes with any field', () => {
    const base = hashedEvent(GENESIS_HASH, fields({ a: 1 })).hash;
    expect(hashedEvent(GENESIS_HASH, fields({ a: 2 })).hash).not.toBe(base);
    expect(hashedEvent(GENESIS_HASH, { ...fields({ a: 1 }), streamVersion: 8 }).hash).not.toBe(base);
    expect(hashedEvent('1'.repeat(64), fields({ a: 1 })).hash).not.toBe(base);
  });
});
