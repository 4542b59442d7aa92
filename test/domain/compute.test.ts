import { describe, expect, it } from 'vitest';
import { compareRecordIds, computePerson, type PersonInput, type RosterEntry, type Stay } from '../../subsidy/rules';
import { type ExplanationLine, renderExplanation } from '../../subsidy/rules/explain';
import { nights, person, policy, policyWith, stay } from './fixtures';

const en = (lines: readonly ExplanationLine[]) => renderExplanation(lines, 'en');

function run(p: RosterEntry | undefined, stays: Stay[], more: Partial<PersonInput> = {}) {
  return computePerson({ person: p, stays, alreadyPaidNights: [], quarter: '2025Q3', policy, ...more });
}

const elder = person(); // one_child_parent, born 1950-03-10, enrolled 2020-01-01, 100 yuan a night

describe('第四条 nights and rates: a stay A..D covers nights A … D−1; D = A is one night', () => {
  it.each([
    // admission, discharge, nights, amount (fen)
    ['2025-07-01', '2025-07-05', 4, 40000],
    ['2025-07-10', '2025-07-10', 1, 10000], // same-day stay
    ['2025-07-10', '2025-07-11', 1, 10000],
    ['2025-09-01', '2025-09-30', 29, 290000],
  ])('%s → %s: %i nights, %i fen', (a, d, n, amount) => {
    const s = stay(a, d);
    const { rows, payments } = run(elder, [s]);
    expect(rows[0]).toMatchObject({
      recordId: s.recordId,
      outcome: 'paid',
      reason: null,
      nights: n,
      amountFen: amount,
    });
    expect(rows[0]!.paidNights).toEqual(nights(a, n));
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({
      kind: 'regular',
      nights: n,
      amountFen: amount,
      recordIds: [s.recordId],
      policyVersion: policy.version,
    });
  });

  it.each([
    ['bereaved', 15000],
    ['disabled_child', 15000],
    ['one_child_parent', 10000],
  ] as const)('%s is paid %i fen a night', (category, rate) => {
    const p = person({ category, birthDate: '1960-01-01' }); // female: her own age (65) meets 49
    expect(run(p, [stay('2025-08-01', '2025-08-04')]).payments[0]!.amountFen).toBe(3 * rate);
  });

  it('explains what counted, citing the article', () => {
    const { rows } = run(elder, [stay('2025-07-01', '2025-07-03')]);
    expect(en(rows[0]!.explanation)).toEqual([
      '2025-07-01..2025-07-02 counted: 2 nights × 100.00 yuan = 200.00 yuan (独生子女父母, 第四条)',
    ]);
  });
});

describe('第四条 age rule on each night: the birthday counts', () => {
  it('one_child_parent turning 60 mid-stay is paid from the birthday', () => {
    const p = person({ birthDate: '1965-07-15' });
    const { rows } = run(p, [stay('2025-07-10', '2025-07-20')]);
    expect(rows[0]).toMatchObject({ outcome: 'paid', nights: 5, amountFen: 50000 });
    expect(rows[0]!.paidNights).toEqual(nights('2025-07-15', 5));
    expect(en(rows[0]!.explanation)[0]).toBe(
      '2025-07-10..2025-07-14 not counted: age rule not met, the beneficiary is under 60 on those nights (第四条)',
    );
  });

  it('bereaved: the family’s female partner turning 49 mid-stay (male beneficiary)', () => {
    const p = person({ category: 'bereaved', gender: 'M', birthDate: '1970-05-05', femaleBirthDate: '1976-08-20' });
    const { rows } = run(p, [stay('2025-08-18', '2025-08-23')]);
    expect(rows[0]).toMatchObject({ outcome: 'paid', nights: 3, amountFen: 45000 });
    expect(rows[0]!.paidNights).toEqual(['2025-08-20', '2025-08-21', '2025-08-22']);
    expect(en(rows[0]!.explanation)[0]).toContain("the family's female partner is under 49");
  });

  it('disabled_child: a female beneficiary is her own female partner', () => {
    const p = person({ category: 'disabled_child', gender: 'F', birthDate: '1976-08-20' });
    expect(run(p, [stay('2025-08-18', '2025-08-23')]).rows[0]).toMatchObject({ nights: 3, amountFen: 45000 });
  });

  it('a man’s own age does not count for bereaved: only the female partner’s', () => {
    const p = person({ category: 'bereaved', gender: 'M', birthDate: '1940-01-01', femaleBirthDate: '1980-01-01' });
    expect(run(p, [stay('2025-08-01', '2025-08-05')]).rows[0]).toMatchObject({
      outcome: 'not_eligible',
      reason: 'under_age',
      nights: 0,
    });
  });

  it('born 29 February: reaches 49 on 1 March of a common year', () => {
    const p = person({ category: 'bereaved', gender: 'F', birthDate: '1976-02-29' });
    const { rows } = computePerson({
      person: p,
      stays: [stay('2025-02-27', '2025-03-03')],
      alreadyPaidNights: [],
      quarter: '2025Q1',
      policy,
    });
    expect(rows[0]!.paidNights).toEqual(['2025-03-01', '2025-03-02']);
    expect(rows[0]!.amountFen).toBe(30000);
  });

  it('born 29 February: reaches 60 on 29 February of a leap year', () => {
    const p = person({ birthDate: '1964-02-29' });
    const { rows } = computePerson({
      person: p,
      stays: [stay('2024-02-27', '2024-03-02')],
      alreadyPaidNights: [],
      quarter: '2024Q1',
      policy,
    });
    expect(rows[0]!.paidNights).toEqual(['2024-02-29', '2024-03-01']);
  });
});

describe('第四条 annual cap: 60 nights per person per calendar year, in date order, already-paid nights first', () => {
  it('is reached mid-stay', () => {
    const { rows, payments } = run(elder, [stay('2025-07-01', '2025-09-15')]); // 76 nights
    expect(rows[0]).toMatchObject({ outcome: 'paid', nights: 60, amountFen: 600000 });
    expect(rows[0]!.paidNights.at(-1)).toBe('2025-08-29');
    expect(en(rows[0]!.explanation).at(-1)).toBe(
      '2025-08-30..2025-09-14 not counted: annual cap of 60 nights for 2025 reached (第四条)',
    );
    expect(payments[0]!.nights).toBe(60);
  });

  it('is reached in a later quarter through nights paid earlier in the year', () => {
    const paidInQ2 = nights('2025-04-01', 55);
    const { rows } = run(elder, [stay('2025-07-01', '2025-07-11')], { alreadyPaidNights: paidInQ2 });
    expect(rows[0]).toMatchObject({ outcome: 'paid', nights: 5, amountFen: 50000 });
    expect(rows[0]!.paidNights).toEqual(nights('2025-07-01', 5));
  });

  it('a row with no night left is not eligible: annual_cap_reached', () => {
    const { rows, payments } = run(elder, [stay('2025-07-01', '2025-07-03')], {
      alreadyPaidNights: nights('2025-01-02', 60),
    });
    expect(rows[0]).toMatchObject({ outcome: 'not_eligible', reason: 'annual_cap_reached', nights: 0, amountFen: 0 });
    expect(payments).toEqual([]);
  });

  it('grants in date order across stays, whatever their input order', () => {
    const late = stay('2025-09-01', '2025-09-11'); // 10 nights
    const early = stay('2025-07-01', '2025-07-11'); // 10 nights
    const { rows } = run(elder, [late, early], { alreadyPaidNights: nights('2025-01-02', 45) });
    expect(rows[1]).toMatchObject({ recordId: early.recordId, nights: 10 });
    expect(rows[0]).toMatchObject({ recordId: late.recordId, nights: 5 });
    expect(rows[0]!.paidNights).toEqual(nights('2025-09-01', 5));
  });

  it('never pays an already-paid night again, and that night uses the cap', () => {
    const { rows } = run(elder, [stay('2025-07-01', '2025-07-05')], {
      alreadyPaidNights: ['2025-07-03', ...nights('2025-01-02', 57)],
    });
    // 58 used; 07-03 already paid; 07-01 and 07-02 take the last two; 07-04 is over the cap.
    expect(rows[0]!.paidNights).toEqual(['2025-07-01', '2025-07-02']);
    expect(en(rows[0]!.explanation)).toEqual([
      '2025-07-01..2025-07-02 counted: 2 nights × 100.00 yuan = 200.00 yuan (独生子女父母, 第四条)',
      '2025-07-03 not counted: already paid by an earlier cycle (a night is paid once)',
      '2025-07-04 not counted: annual cap of 60 nights for 2025 reached (第四条)',
    ]);
  });

  it('a record already paid is not paid again', () => {
    const s = stay('2025-07-01', '2025-07-05');
    const { rows, payments } = run(elder, [s], { alreadyPaidRecordIds: [s.recordId] });
    expect(rows[0]).toMatchObject({ outcome: 'not_eligible', reason: 'already_processed' });
    expect(payments).toEqual([]);
  });
});

describe('第五条 a stay crossing 31 December is split by calendar year', () => {
  const crossing = () => stay('2025-12-29', '2026-01-03'); // nights 12-29, 12-30, 12-31 | 01-01, 01-02

  it('each year’s nights at that year’s rate (a 2026 rate change is data only)', () => {
    const changed = policyWith('2026-01-01.test', {
      effectiveFrom: '2026-01-01',
      dailyRateFen: { one_child_parent: 12000, bereaved: 18000, disabled_child: 18000 },
    });
    const { rows, payments } = computePerson({
      person: elder,
      stays: [crossing()],
      alreadyPaidNights: [],
      quarter: '2026Q1',
      policy: changed,
    });
    expect(rows[0]).toMatchObject({ outcome: 'paid', nights: 5, amountFen: 3 * 10000 + 2 * 12000 });
    expect(en(rows[0]!.explanation)).toEqual([
      "2025-12-29..2025-12-31 counted: 3 nights × 100.00 yuan = 300.00 yuan (独生子女父母, 第四条; 2025 nights at 2025's rate, 第五条)",
      "2026-01-01..2026-01-02 counted: 2 nights × 120.00 yuan = 240.00 yuan (独生子女父母, 第四条; 2026 nights at 2026's rate, 第五条)",
    ]);
    expect(payments[0]).toMatchObject({
      kind: 'regular',
      amountFen: 54000,
      cityShareFen: 21600,
      countyShareFen: 32400,
      policyVersion: '2026-01-01.test',
    });
  });

  it('each year’s nights against that year’s cap', () => {
    const { rows } = computePerson({
      person: elder,
      stays: [crossing()],
      alreadyPaidNights: nights('2025-01-02', 59),
      quarter: '2026Q1',
      policy,
    });
    expect(rows[0]!.paidNights).toEqual(['2025-12-29', '2026-01-01', '2026-01-02']);
    expect(en(rows[0]!.explanation)).toContain(
      '2025-12-30..2025-12-31 not counted: annual cap of 60 nights for 2025 reached (第四条)',
    );
  });
});

describe('第七条 exclusions: not paid, with the reason kept', () => {
  it.each(['traffic_insured', 'illegal_driving', 'workplace_violation', 'unlicensed_activity', 'abroad'] as const)(
    '%s',
    (code) => {
      const { rows, payments } = run(elder, [stay('2025-07-01', '2025-07-05', { exclusion: code })]);
      expect(rows[0]).toMatchObject({ outcome: 'excluded', reason: code, nights: 0, amountFen: 0, paidNights: [] });
      expect(en(rows[0]!.explanation)[0]).toMatch(/第七条/);
      expect(payments).toEqual([]);
    },
  );
  it('an excluded record takes no nights from an overlapping record', () => {
    const excluded = stay('2025-07-01', '2025-07-10', { exclusion: 'abroad' });
    const other = stay('2025-07-05', '2025-07-08');
    expect(run(elder, [excluded, other]).rows[1]).toMatchObject({ outcome: 'paid', nights: 3 });
  });
});

describe('第二条/第六条/第十一条 the roster: enrolled_on ≤ night < exited_on', () => {
  it('not on the roster', () => {
    expect(run(undefined, [stay('2025-07-01', '2025-07-05')]).rows[0]).toMatchObject({
      outcome: 'not_eligible',
      reason: 'not_on_roster',
    });
  });
  it('exit mid-stay: nights from the exit date are not paid', () => {
    const { rows } = run(person({ exitedOn: '2025-08-05' }), [stay('2025-08-01', '2025-08-10')]);
    expect(rows[0]!.paidNights).toEqual(nights('2025-08-01', 4));
    expect(en(rows[0]!.explanation)[1]).toBe(
      '2025-08-05..2025-08-09 not counted: off the roster from 2025-08-05 (exit, 第十一条)',
    );
  });
  it('enrolment mid-stay: nights from the enrolment date are paid', () => {
    const { rows } = run(person({ enrolledOn: '2025-07-03' }), [stay('2025-07-01', '2025-07-05')]);
    expect(rows[0]!.paidNights).toEqual(['2025-07-03', '2025-07-04']);
  });
  it('a stay wholly after exit: not_enrolled', () => {
    expect(run(person({ exitedOn: '2025-07-01' }), [stay('2025-07-01', '2025-07-05')]).rows[0]).toMatchObject({
      outcome: 'not_eligible',
      reason: 'not_enrolled',
    });
  });
});

describe('overlapping stays never count a night twice: earliest admission, then lowest record id', () => {
  it('a transfer sharing nights', () => {
    const a = stay('2025-07-01', '2025-07-10', { recordId: '1' });
    const b = stay('2025-07-05', '2025-07-15', { recordId: '2' });
    const { rows, payments } = run(elder, [b, a]);
    expect(rows[1]).toMatchObject({ recordId: '1', nights: 9 });
    expect(rows[0]).toMatchObject({ recordId: '2', nights: 5 });
    expect(rows[0]!.paidNights).toEqual(nights('2025-07-10', 5));
    expect(en(rows[0]!.explanation)[0]).toBe(
      '2025-07-05..2025-07-09 not counted: the night belongs to overlapping record 1 (earlier admission or lower record id; a night is paid once)',
    );
    expect(payments[0]).toMatchObject({ nights: 14, recordIds: ['1', '2'] });
  });
  it('a nested stay gets nothing: overlap', () => {
    const outer = stay('2025-07-01', '2025-07-20', { recordId: '5' });
    const inner = stay('2025-07-05', '2025-07-08', { recordId: '3' });
    const { rows } = run(elder, [inner, outer]);
    expect(rows[0]).toMatchObject({ outcome: 'not_eligible', reason: 'overlap', nights: 0 });
    expect(rows[1]).toMatchObject({ outcome: 'paid', nights: 19 });
  });
  it('same admission: the numerically lowest record id ("9" before "10")', () => {
    const { rows } = run(elder, [
      stay('2025-07-01', '2025-07-03', { recordId: '10' }),
      stay('2025-07-01', '2025-07-03', { recordId: '9' }),
    ]);
    expect(rows.map((r) => [r.recordId, r.outcome])).toEqual([
      ['10', 'not_eligible'],
      ['9', 'paid'],
    ]);
  });
  it('back-to-back stays (discharge day = next admission) share no night', () => {
    const { rows } = run(elder, [stay('2025-07-01', '2025-07-05'), stay('2025-07-05', '2025-07-08')]);
    expect(rows.map((r) => r.nights)).toEqual([4, 3]);
  });
  it('two same-day stays on one date: one night', () => {
    const { payments } = run(elder, [
      stay('2025-07-05', '2025-07-05', { recordId: 'A1' }),
      stay('2025-07-05', '2025-07-05', { recordId: 'A2' }),
    ]);
    expect(payments[0]).toMatchObject({ nights: 1, recordIds: ['A1'] });
  });
  it('record ids: digits by value, before any other id; others by text', () => {
    expect(['b', '10', 'a', '9', '009', 'A'].sort(compareRecordIds)).toEqual(['009', '9', '10', 'A', 'a', 'b']); // equal value: the text breaks the tie;
  });
});

describe('第十条/第十二条 regular vs back-pay: by the discharge quarter', () => {
  it('a stay discharged in an earlier quarter is back-pay; one discharged in the quarter is regular', () => {
    const back = stay('2025-06-10', '2025-06-20');
    const now = stay('2025-07-10', '2025-07-12');
    const { payments } = run(elder, [now, back]);
    expect(payments.map((p) => [p.kind, p.nights, p.amountFen, p.recordIds])).toEqual([
      ['regular', 2, 20000, [now.recordId]],
      ['back_pay', 10, 100000, [back.recordId]],
    ]);
  });
  it('a stay admitted in the quarter and discharged after it waits for its own cycle, keeping its nights', () => {
    const later = stay('2025-09-25', '2025-10-02', { recordId: '1' });
    const inside = stay('2025-09-28', '2025-09-30', { recordId: '2' });
    const { rows, payments } = run(elder, [later, inside]);
    expect(rows[0]).toMatchObject({ outcome: 'not_eligible', reason: 'discharged_after_quarter' });
    expect(rows[1]).toMatchObject({ outcome: 'not_eligible', reason: 'overlap' });
    expect(payments).toEqual([]);
  });
});

describe('第八条 each payment split city 40 % / county 60 %', () => {
  it('splits a payment by the person’s jurisdiction', () => {
    const p = person({ jurisdiction: 'X41102', category: 'bereaved', birthDate: '1960-01-01' });
    const { payments } = run(p, [stay('2025-07-01', '2025-07-04')]);
    expect(payments[0]).toMatchObject({
      jurisdiction: 'X41102',
      category: 'bereaved',
      amountFen: 45000,
      cityShareFen: 18000,
      countyShareFen: 27000,
    });
  });
});

describe('the reason of a row with no night paid', () => {
  it('is the reason covering most of its nights', () => {
    // born 1965-07-15: under 60 until 07-15; enrolled 07-13 → 07-10..07-12 not enrolled (3), 07-13..07-14 under age (2)
    const p = person({ birthDate: '1965-07-15', enrolledOn: '2025-07-13' });
    expect(run(p, [stay('2025-07-10', '2025-07-15')]).rows[0]).toMatchObject({
      outcome: 'not_eligible',
      reason: 'not_enrolled',
    });
  });
  it('on a tie, the earlier reason in the documented order (not_enrolled before under_age)', () => {
    const p = person({ birthDate: '1965-07-14', enrolledOn: '2025-07-12' });
    // 07-10, 07-11 not enrolled; 07-12, 07-13 under age
    expect(run(p, [stay('2025-07-10', '2025-07-14')]).rows[0]!.reason).toBe('not_enrolled');
  });
  it('row-level rules come first: an excluded stay of someone not on the roster is excluded', () => {
    expect(run(undefined, [stay('2025-07-01', '2025-07-05', { exclusion: 'abroad' })]).rows[0]).toMatchObject({
      outcome: 'excluded',
      reason: 'abroad',
    });
  });
});

describe('explanations: facts rendered for the county reviewer, Chinese by default', () => {
  it('one sentence per night range with its article, in Chinese; the English rendering of the same facts', () => {
    const rows = run(elder, [
      stay('2025-07-01', '2025-07-04', { recordId: 'A' }),
      stay('2025-07-03', '2025-07-06', { recordId: 'B' }),
    ]).rows;
    // A owns 1–3 July (3 nights); B's 3 July belongs to A, B counts 4–5 July.
    expect(renderExplanation(rows[0]!.explanation)).toEqual([
      '2025-07-01至2025-07-03 计入 3 天 × 100.00 元 = 300.00 元（独生子女父母，第四条）',
    ]);
    expect(renderExplanation(rows[1]!.explanation)).toEqual([
      '2025-07-03 不计：与记录 A 住院时间重叠，这些天归该记录（入院早者优先，同日入院取记录号小者；同一天只付一次）',
      '2025-07-04至2025-07-05 计入 2 天 × 100.00 元 = 200.00 元（独生子女父母，第四条）',
    ]);
    expect(en(rows[1]!.explanation)[0]).toBe(
      '2025-07-03 not counted: the night belongs to overlapping record A (earlier admission or lower record id; a night is paid once)',
    );
  });
  it('a paid stay shows the same person’s excluded stay over the same dates (probably the same injury)', () => {
    const rows = run(elder, [
      stay('2025-07-10', '2025-07-12', { recordId: 'P' }),
      stay('2025-07-11', '2025-07-20', { recordId: 'X', exclusion: 'traffic_insured' }),
    ]).rows;
    expect(rows[0]!.outcome).toBe('paid');
    expect(rows[0]!.amountFen).toBe(20_000); // 10, 11 July: the excluded stay claims no night (第七条)
    expect(rows[0]!.explanation.at(-1)).toEqual({
      kind: 'overlapping_excluded_stay',
      recordId: 'X',
      code: 'traffic_insured',
      admissionDate: '2025-07-11',
      dischargeDate: '2025-07-20',
    });
    expect(renderExplanation(rows[0]!.explanation).at(-1)).toBe(
      '提示：同一人的记录 X（2025-07-11至2025-07-20）与本次住院时间重叠且已按第七条不予支付（traffic_insured），可能是同一伤情，审核时请核实',
    );
    expect(renderExplanation(rows[1]!.explanation)).toEqual([
      '不予支付：交通事故已由保险公司赔付（第七条，traffic_insured）',
    ]);
  });
});
