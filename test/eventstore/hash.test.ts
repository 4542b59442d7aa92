import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { canonicalJson, GENESIS_HASH, hashedEvent } from '../../platform/eventstore/hash';

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
      expect(hashed.data.toString('utf8')).toBe(canonicalize(data));
      expect(JSON.parse(hashed.data.toString('utf8'))).toEqual(data);
    });
  }

  it('changes with any field', () => {
    const base = hashedEvent(GENESIS_HASH, fields({ a: 1 })).hash;
    expect(hashedEvent(GENESIS_HASH, fields({ a: 2 })).hash).not.toBe(base);
    expect(hashedEvent(GENESIS_HASH, { ...fields({ a: 1 }), streamVersion: 8 }).hash).not.toBe(base);
    expect(hashedEvent('1'.repeat(64), fields({ a: 1 })).hash).not.toBe(base);
  });
});

// The store's canonical JSON takes the engine's JSON.stringify for plain data; the reference implementation decides
// what it must be, for documents chosen to differ (key order, numeric keys, escapes, numbers) and random ones.
describe('canonicalJson', () => {
  const tricky: unknown[] = [
    { b: 1, a: { d: [1, { z: null, y: true }], c: 'x' } },
    { 10: 'ten', 9: 'nine', a1: 1, A: 2, _: 3, '': 4, é: 5, e: 6, '\ud83d\ude00': 7, '\uff41': 8 },
    { n: [0, -0, 1e21, 1e-7, 123456789.123, -1.5e300, 2 ** 53 + 2, 0.1 + 0.2] },
    { s: '\u2028\u2029 "q" \\ \b\f\n\r\t \u0000\u001f \ud800 lone, 许昌 😀' },
    { skipped: undefined, kept: [undefined, null] },
    { when: new Date('2026-12-01T00:00:00Z') },
    { constructor: 'a key of Object.prototype', other: { x: 1 } },
    Object.assign(Object.create(null), { b: 2, a: 1 }),
    [{ b: 1, a: 2 }, [{ d: 1, c: 2 }]],
    Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${150 - i}`, i])),
    'text',
    42,
    null,
    true,
  ];
  for (const value of tricky) {
    it(`writes what the reference writes: ${String(JSON.stringify(value)).slice(0, 50)}`, () => {
      expect(canonicalJson(value)).toBe(canonicalize(value));
    });
  }

  it('refuses what the reference refuses', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow();
    expect(() => canonicalJson({ a: [Number.POSITIVE_INFINITY] })).toThrow();
  });

  it('agrees with the reference on 2,000 random documents', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = ['a', 'b', 'Z', '1', '10', '_', 'é', '许', '\ud83d\ude00', '"', '\\', '\n', ' '];
    const text = () =>
      Array.from({ length: Math.floor(random() * 4) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    const make = (depth: number): unknown => {
      const pick = random();
      if (depth > 3 || pick < 0.3)
        return [text(), Math.round((random() - 0.5) * 1e6) / 100, null, true][Math.floor(random() * 4)];
      if (pick < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => make(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 5) }, () => [text(), make(depth + 1)]));
    };
    for (let i = 0; i < 2_000; i++) {
      const value = make(0);
      expect(canonicalJson(value)).toBe(canonicalize(value));
    }
  });
});
