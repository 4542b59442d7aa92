import { fundingSplit } from '../money';
import { dayAgeReached, dayOf, isoOf, yearOf } from '../dates';
import { annualCap, dailyRateFen, entryOn, type Policy } from './policy';
import { parseQuarter } from './quarter';
import type { IsoDate, NotEligibleReason, Payment, RosterEntry, RowOutcome, Stay } from './types';

export interface PersonInput {
  /** The roster entry of the frozen roster version; undefined when the person is not on it. */
  person: RosterEntry | undefined;
  /** The person's valid stays of this cycle (any discharge quarter). */
  stays: readonly Stay[];
  /** Nights already paid (or awaiting review) in other cycles, any year: they use the cap first and are never paid again. */
  alreadyPaidNights: readonly IsoDate[];
  /** The cycle's quarter: discharges in it are regular, earlier ones back-pay (第十二条). */
  quarter: string;
  policy: Policy;
}

export interface PersonResult {
  rows: RowOutcome[];
  payments: Payment[];
}

/** Record ids compare as numbers when both are numeric, as text otherwise ("the lowest record id"). */
export function compareRecordIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const byLength = a.replace(/^0+/, '').length - b.replace(/^0+/, '').length;
    if (byLength !== 0) return byLength;
    const [x, y] = [a.replace(/^0+/, ''), b.replace(/^0+/, '')];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Nights of a stay (第四条/第五条): A … D−1; a same-day stay (D = A) is the one night A. */
export function stayNights(admission: number, discharge: number): [number, number] {
  return [admission, Math.max(admission, discharge - 1)];
}

const REASON_TEXT: Record<NotEligibleReason, string> = {
  not_on_roster: 'not on the county-confirmed roster (第二条)',
  not_enrolled: 'outside the roster period: before enrolment or from exit (第十一条)',
  under_age: 'age rule of the category not met on that night (第四条)',
  annual_cap_reached: 'annual cap reached (第四条)',
  overlap: 'the night belongs to an overlapping record with an earlier admission (no night is paid twice)',
  already_paid: 'already paid, or awaiting review, in an earlier cycle',
  discharged_after_quarter: "discharged after the cycle's quarter: paid by a later cycle (第十条)",
};

type NightVerdict = { day: number; stay: number; reason: NotEligibleReason | null; rateFen: number };

/** Groups consecutive nights with the same verdict into one explanation line each. */
function explain(verdicts: NightVerdict[], category: string): string[] {
  const lines: string[] = [];
  for (let i = 0; i < verdicts.length; ) {
    let j = i;
    while (
      j + 1 < verdicts.length &&
      verdicts[j + 1]!.day === verdicts[j]!.day + 1 &&
      verdicts[j + 1]!.reason === verdicts[i]!.reason &&
      verdicts[j + 1]!.rateFen === verdicts[i]!.rateFen
    ) {
      j++;
    }
    const v = verdicts[i]!;
    const range = i === j ? isoOf(v.day) : `${isoOf(v.day)}..${isoOf(verdicts[j]!.day)}`;
    const n = j - i + 1;
    lines.push(
      v.reason === null
        ? `${range} counted: ${n} night${n > 1 ? 's' : ''} × ${(v.rateFen / 100).toFixed(2)} yuan (${category}, 第四条)`
        : `${range} not counted: ${REASON_TEXT[v.reason]}`,
    );
    i = j + 1;
  }
  return lines;
}

function ageRuleMet(person: RosterEntry, policy: Policy, day: number): boolean {
  const threshold = entryOn(policy, day).ageThresholds[person.category];
  // one_child_parent: the person; bereaved / disabled_child: the family's female partner (第四条).
  const birth = person.category === 'one_child_parent' || person.gender === 'F' ? person.birthDate : person.femaleBirthDate;
  if (!birth) return false;
  return day >= dayAgeReached(birth, threshold);
}

/**
 * The entitlement of one person in one cycle, exactly per DOMAIN.md §1: nights per stay, the year
 * split (第五条), roster window, age rule, overlap de-duplication, the 60-night annual cap in date
 * order after already-paid nights (第四条), exclusions (第七条), regular vs back-pay (第十二条).
 */
export function computePerson(input: PersonInput): PersonResult {
  const { person, policy } = input;
  const quarter = parseQuarter(input.quarter);
  const rows: RowOutcome[] = input.stays.map((s) => ({ recordId: s.recordId, outcome: 'not_eligible', reason: null, nights: 0, amountFen: 0, paidNights: [], explanation: [] }));

  // Which stays can be paid in this cycle at all.
  const candidates: number[] = [];
  input.stays.forEach((stay, i) => {
    const row = rows[i]!;
    if (stay.exclusion) {
      Object.assign(row, { outcome: 'excluded', reason: stay.exclusion, explanation: [`not paid: ${stay.exclusion} (第七条)`] });
    } else if (dayOf(stay.dischargeDate) > quarter.end) {
      Object.assign(row, { reason: 'discharged_after_quarter', explanation: [REASON_TEXT.discharged_after_quarter] });
    } else if (!person) {
      Object.assign(row, { reason: 'not_on_roster', explanation: [`not paid: ${REASON_TEXT.not_on_roster}`] });
    } else {
      candidates.push(i);
    }
  });
  if (!person || candidates.length === 0) return { rows, payments: [] };

  // A shared night belongs to the stay with the earliest admission, then the lowest record id.
  const byPriority = [...candidates].sort((a, b) => {
    const sa = input.stays[a]!;
    const sb = input.stays[b]!;
    return sa.admissionDate < sb.admissionDate ? -1 : sa.admissionDate > sb.admissionDate ? 1 : compareRecordIds(sa.recordId, sb.recordId);
  });
  const owner = new Map<number, number>();
  const verdicts = new Map<number, NightVerdict[]>(candidates.map((i) => [i, []]));
  const owned: NightVerdict[] = [];
  for (const i of byPriority) {
    const stay = input.stays[i]!;
    const [first, last] = stayNights(dayOf(stay.admissionDate), dayOf(stay.dischargeDate));
    for (let day = first; day <= last; day++) {
      if (owner.has(day)) {
        verdicts.get(i)!.push({ day, stay: i, reason: 'overlap', rateFen: 0 });
      } else {
        owner.set(day, i);
        const verdict: NightVerdict = { day, stay: i, reason: null, rateFen: 0 };
        verdicts.get(i)!.push(verdict);
        owned.push(verdict);
      }
    }
  }

  // Grant nights in date order: already-paid nights use each year's cap first (第四条, 第五条).
  const paid = new Set(input.alreadyPaidNights.map(dayOf));
  const used = new Map<number, number>();
  for (const day of paid) used.set(yearOf(day), (used.get(yearOf(day)) ?? 0) + 1);
  const enrolled = dayOf(person.enrolledOn);
  const exited = person.exitedOn ? dayOf(person.exitedOn) : Infinity;
  owned.sort((a, b) => a.day - b.day);
  for (const v of owned) {
    const year = yearOf(v.day);
    if (paid.has(v.day)) v.reason = 'already_paid';
    else if (v.day < enrolled || v.day >= exited) v.reason = 'not_enrolled';
    else if (!ageRuleMet(person, policy, v.day)) v.reason = 'under_age';
    else if ((used.get(year) ?? 0) >= annualCap(policy, year)) v.reason = 'annual_cap_reached';
    else {
      used.set(year, (used.get(year) ?? 0) + 1);
      v.rateFen = dailyRateFen(policy, person.category, v.day);
    }
  }

  const payments = new Map<'regular' | 'back_pay', Payment>();
  for (const i of candidates) {
    const stay = input.stays[i]!;
    const row = rows[i]!;
    const nights = verdicts.get(i)!.sort((a, b) => a.day - b.day);
    const counted = nights.filter((v) => v.reason === null);
    row.explanation = explain(nights, person.category);
    if (counted.length === 0) {
      // The reason that covers most of the stay's nights, the earliest on a tie.
      const tally = new Map<NotEligibleReason, number>();
      for (const v of nights) tally.set(v.reason!, (tally.get(v.reason!) ?? 0) + 1);
      row.reason = [...tally.entries()].sort((a, b) => b[1] - a[1])[0]![0];
      continue;
    }
    row.outcome = 'paid';
    row.nights = counted.length;
    row.amountFen = counted.reduce((sum, v) => sum + v.rateFen, 0);
    row.paidNights = counted.map((v) => isoOf(v.day));
    const kind = dayOf(stay.dischargeDate) >= quarter.start ? 'regular' : 'back_pay';
    const payment =
      payments.get(kind) ??
      ({
        idNumber: person.idNumber,
        jurisdiction: person.jurisdiction,
        category: person.category,
        kind,
        nights: 0,
        amountFen: 0,
        cityShareFen: 0,
        countyShareFen: 0,
        recordIds: [],
        nightDates: [],
        policyVersion: policy.version,
      } satisfies Payment);
    payment.nights += row.nights;
    payment.amountFen += row.amountFen;
    payment.recordIds.push(stay.recordId);
    payment.nightDates.push(...row.paidNights);
    payments.set(kind, payment);
  }
  const result = [...payments.values()].sort((a, b) => (a.kind < b.kind ? 1 : -1));
  for (const p of result) {
    p.nightDates.sort();
    p.recordIds.sort(compareRecordIds);
    // 第八条: the split of each payment, under the policy in force at the quarter's end.
    Object.assign(p, fundingSplit(p.amountFen, entryOn(policy, quarter.end).citySharePercent));
  }
  return { rows, payments: result };
}
