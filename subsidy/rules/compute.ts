import { dayAgeReached, dayOf, dayOfYmd, type IsoDate, isoOf, yearOf } from '../../platform/common/dates';
import { formatYuan, fundingSplit } from '../../platform/common/money';
import { annualCap, dailyRateFen, entryOn, type Policy, type PolicyEntry } from './policy';
import { parseQuarter, type Quarter } from './quarter';
import type { ExplanationFact } from './types';
import {
  type Category,
  type ExclusionCode,
  NOT_ELIGIBLE_REASONS,
  type NotEligibleReason,
  type Payment,
  type PaymentKind,
  type RosterEntry,
  type RowOutcome,
  type Stay,
} from './types';

// The entitlement of one person in one cycle, exactly per DOMAIN.md §1 (许政办〔2025〕15号 第四条,
// 第五条, 第七条, 第八条, 第十条). Dates are integer day numbers throughout; a person's nights live in
// typed arrays over the span of their stays, so a million rows allocate little beyond the results.

export interface PersonInput {
  /** The roster entry of the frozen roster version; undefined when the person is not on it. */
  person: RosterEntry | undefined;
  /** The person is on two different lines of a roster file, unresolved at the frozen version: nothing is paid. */
  rosterConflict?: boolean;
  /** The person's valid stays of this cycle, any discharge quarter, in input order. */
  stays: readonly Stay[];
  /** Nights of this person already paid (or reserved for payment) by other cycles, any year: they use the cap first and are never paid again. */
  alreadyPaidNights: readonly IsoDate[];
  /** Records already paid by other cycles, sent again unchanged: not paid again (already_processed). */
  alreadyPaidRecordIds?: ReadonlySet<string> | readonly string[];
  /** Paid records sent again with other content (corrections): record id → the dates paid before. */
  corrections?: ReadonlyMap<string, { admissionDate: IsoDate; dischargeDate: IsoDate }>;
  /** The cycle's quarter, '2025Q3': discharges in it are regular, earlier ones back-pay. */
  quarter: string;
  policy: Policy;
}

export interface PersonResult {
  /** One per input stay, in input order. */
  rows: RowOutcome[];
  /** At most one 'regular' and one 'back_pay', regular first. */
  payments: Payment[];
}

const DIGITS = /^\d+$/;

/**
 * The order of record ids ("the lowest record id"): ids of digits only compare by numeric value (so
 * "9" < "10"; leading zeros ignored, then the text breaks a tie) and come before any other id; other
 * ids compare by UTF-16 code units. A total order, so sorting is deterministic.
 */
export function compareRecordIds(a: string, b: string): number {
  if (a === b) return 0;
  const aNum = DIGITS.test(a);
  const bNum = DIGITS.test(b);
  if (aNum !== bNum) return aNum ? -1 : 1;
  if (aNum) {
    const x = a.replace(/^0+/, '');
    const y = b.replace(/^0+/, '');
    if (x.length !== y.length) return x.length - y.length;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a < b ? -1 : 1;
}

/** 第四条: the nights of a stay A … D−1 as [first, last] day numbers; a same-day stay (D = A) is the one night A. */
export function countNights(admission: number, discharge: number): [number, number] {
  if (discharge < admission) throw new Error('discharge before admission: not a valid stay');
  return [admission, discharge === admission ? admission : discharge - 1];
}

const EXCLUSION_CODES_KNOWN = new Set<string>([
  'traffic_insured',
  'illegal_driving',
  'workplace_violation',
  'unlicensed_activity',
  'abroad',
] satisfies ExclusionCode[]);

// Night verdicts, stored per day of the person's span.
const V_NONE = 0; // not a night of a payable stay
const V_COUNTED = 1;
const V_ALREADY_PAID = 2;
const V_BEFORE_ENROLMENT = 3;
const V_AFTER_EXIT = 4;
const V_UNDER_AGE = 5;
const V_CAP = 6;
const V_OVERLAP = 7; // only in a row's own view: the night belongs to another record

const VERDICT_REASON: (NotEligibleReason | null)[] = [
  null,
  null,
  'already_paid',
  'not_enrolled',
  'not_enrolled',
  'under_age',
  'annual_cap_reached',
  'overlap',
];
const PRECEDENCE = new Map(NOT_ELIGIBLE_REASONS.map((reason, rank) => [reason, rank]));

const parsedQuarters = new Map<string, Quarter>();
/** parseQuarter, once per quarter text (computePerson runs once per person). */
function parsedQuarter(text: string): Quarter {
  let quarter = parsedQuarters.get(text);
  if (!quarter) {
    quarter = parseQuarter(text);
    parsedQuarters.set(text, quarter);
  }
  return quarter;
}

function notEligible(recordId: string, reason: NotEligibleReason, fact: ExplanationFact): RowOutcome {
  return { recordId, outcome: 'not_eligible', reason, nights: 0, amountFen: 0, paidNights: [], explanation: [fact] };
}

/**
 * A paid stay that overlaps an excluded stay of the same person (第七条) is probably the same injury:
 * the paid row says so, so the reviewer checks it before approving. Nothing about the money changes.
 */
function noteOverlappingExclusions(
  stays: readonly Stay[],
  admissionDay: number[],
  dischargeDay: number[],
  rows: RowOutcome[],
): void {
  // In the order of the overlap rule (earliest admission, then lowest record id), never the input's:
  // the same rows must explain themselves the same way however the bureau sorted its file.
  const excluded = stays
    .map((_, j) => j)
    .filter((j) => stays[j]!.exclusion)
    .sort((x, y) => admissionDay[x]! - admissionDay[y]! || compareRecordIds(stays[x]!.recordId, stays[y]!.recordId));
  if (excluded.length === 0) return;
  rows.forEach((row, i) => {
    if (row.outcome !== 'paid') return;
    const [paidFirst, paidLast] = countNights(admissionDay[i]!, dischargeDay[i]!);
    for (const j of excluded) {
      const [excludedFirst, excludedLast] = countNights(admissionDay[j]!, dischargeDay[j]!);
      if (excludedFirst > paidLast || excludedLast < paidFirst) continue;
      const other = stays[j]!;
      row.explanation.push({
        kind: 'overlapping_excluded_stay',
        recordId: other.recordId,
        code: other.exclusion!,
        admissionDate: other.admissionDate,
        dischargeDate: other.dischargeDate,
      });
    }
  });
}

/** A correction's row says first what it corrects: the dates paid before and the dates now. */
function noteCorrections(stays: readonly Stay[], rows: RowOutcome[], corrections: PersonInput['corrections']): void {
  if (!corrections || corrections.size === 0) return;
  rows.forEach((row, i) => {
    const before = corrections.get(stays[i]!.recordId);
    if (!before) return;
    const after = { admissionDate: stays[i]!.admissionDate, dischargeDate: stays[i]!.dischargeDate };
    row.explanation.unshift({ kind: 'correction', before, after });
  });
}

/**
 * A correction that removes paid nights (DOMAIN.md, "corrections"; 第十三条 追回): the nights paid
 * before that the corrected record (or its exclusion) no longer covers, and the amount paid for them
 * at the rate of each night, so the recovery is exact. Nights it still covers stay paid, never twice.
 */
export function removedByCorrection(
  paidNights: readonly IsoDate[],
  after: { admissionDate: IsoDate; dischargeDate: IsoDate; excluded: boolean },
  category: Category,
  policy: Policy,
): { nights: IsoDate[]; amountFen: number } {
  const [first, last] = countNights(dayOf(after.admissionDate), dayOf(after.dischargeDate));
  const nights = paidNights.filter((night) => after.excluded || dayOf(night) < first || dayOf(night) > last);
  const amountFen = nights.reduce((sum, night) => sum + dailyRateFen(policy, category, dayOf(night)), 0);
  return { nights, amountFen };
}

/** The birth date the category's age rule looks at (第四条), as a day number; undefined when unknown. */
function ageSubjectBirth(person: RosterEntry, subject: 'beneficiary' | 'female_partner'): number | undefined {
  if (subject === 'beneficiary' || person.gender === 'F') return dayOf(person.birthDate);
  return person.femaleBirthDate ? dayOf(person.femaleBirthDate) : undefined;
}

/** The first day the age rule of `entry` is met for the person (the birthday counts; 29 Feb → 1 Mar in a common year). */
function ageMetFrom(person: RosterEntry, entry: PolicyEntry): number {
  const rule = entry.ageRule[person.category];
  const birth = ageSubjectBirth(person, rule.subject);
  if (birth === undefined) return Number.POSITIVE_INFINITY;
  return dayAgeReached(birth, rule.minAge);
}

function toSet(ids: ReadonlySet<string> | readonly string[] | undefined): ReadonlySet<string> | undefined {
  if (!ids) return undefined;
  return ids instanceof Set ? ids : new Set(ids as readonly string[]);
}

/**
 * The entitlement of one person in one cycle. Row-level precedence (first that applies): excluded
 * (第七条) > record already paid > discharged after the cycle's quarter > not on the roster. Then night
 * by night, in date order: overlap (the night belongs to another record: earliest admission, then
 * lowest record id) > already paid > outside the roster window > under age > annual cap (第四条).
 */
export function computePerson(input: PersonInput): PersonResult {
  const { policy, stays } = input;
  const person = input.rosterConflict ? undefined : input.person;
  const quarter = parsedQuarter(input.quarter);
  const paidRecords = toSet(input.alreadyPaidRecordIds);
  const stayCount = stays.length;
  const rows: (RowOutcome | undefined)[] = new Array(stayCount);
  const admissionDay = new Array<number>(stayCount);
  const dischargeDay = new Array<number>(stayCount);
  const owners: number[] = []; // stays that take part in night ownership

  for (let i = 0; i < stayCount; i++) {
    const stay = stays[i]!;
    const admission = dayOf(stay.admissionDate);
    const discharge = dayOf(stay.dischargeDate);
    countNights(admission, discharge);
    admissionDay[i] = admission;
    dischargeDay[i] = discharge;
    if (stay.exclusion) {
      if (!EXCLUSION_CODES_KNOWN.has(stay.exclusion))
        throw new Error(`unknown exclusion code on record ${stay.recordId}`);
      rows[i] = {
        recordId: stay.recordId,
        outcome: 'excluded',
        reason: stay.exclusion,
        nights: 0,
        amountFen: 0,
        paidNights: [],
        explanation: [{ kind: 'excluded', code: stay.exclusion }],
      };
    } else if (paidRecords?.has(stay.recordId)) {
      rows[i] = notEligible(stay.recordId, 'already_processed', { kind: 'record_already_paid' });
    } else if (discharge > quarter.end) {
      // It takes part in overlap ownership below: its nights stay its own, paid by its own cycle.
      rows[i] = notEligible(stay.recordId, 'discharged_after_quarter', {
        kind: 'discharged_after_quarter',
        dischargeDate: stay.dischargeDate,
        quarter: quarter.text,
      });
      owners.push(i);
    } else if (input.rosterConflict) {
      rows[i] = notEligible(stay.recordId, 'roster_conflict', { kind: 'roster_conflict' });
    } else if (!person) {
      rows[i] = notEligible(stay.recordId, 'not_on_roster', { kind: 'not_on_roster' });
    } else {
      owners.push(i);
    }
  }
  if (!person || owners.length === 0) {
    noteCorrections(stays, rows as RowOutcome[], input.corrections);
    return { rows: rows as RowOutcome[], payments: [] };
  }

  // Overlap (DOMAIN.md §1): a shared night belongs to the record with the earliest admission, then the lowest record id.
  owners.sort(
    (x, y) => admissionDay[x]! - admissionDay[y]! || compareRecordIds(stays[x]!.recordId, stays[y]!.recordId),
  );
  let firstNight = Number.POSITIVE_INFINITY;
  let lastNight = Number.NEGATIVE_INFINITY;
  for (const i of owners) {
    const [first, last] = countNights(admissionDay[i]!, dischargeDay[i]!);
    if (first < firstNight) firstNight = first;
    if (last > lastNight) lastNight = last;
  }
  const span = lastNight - firstNight + 1;
  const owner = new Int32Array(span).fill(-1);
  for (const i of owners) {
    const [first, last] = countNights(admissionDay[i]!, dischargeDay[i]!);
    for (let day = first; day <= last; day++) if (owner[day - firstNight] === -1) owner[day - firstNight] = i;
  }

  // Already-paid nights: never paid again, and they use each year's cap first (第四条, 第五条).
  const paidDays = new Set<number>();
  for (const night of input.alreadyPaidNights) paidDays.add(dayOf(night));
  const usedByYear = new Map<number, number>();
  for (const day of paidDays) {
    const y = yearOf(day);
    usedByYear.set(y, (usedByYear.get(y) ?? 0) + 1);
  }

  // Grant nights in date order (第四条): the roster window, the age rule and the year's cap.
  const verdict = new Uint8Array(span);
  const rate = new Int32Array(span);
  const enrolled = dayOf(person.enrolledOn);
  const exited = person.exitedOn ? dayOf(person.exitedOn) : Number.POSITIVE_INFINITY;
  const entries = policy.entries;
  let entryIndex = 0;
  while (entryIndex + 1 < entries.length && entries[entryIndex + 1]!.from <= firstNight) entryIndex++;
  let entry = entries[entryIndex]!;
  let ageFrom = ageMetFrom(person, entry);
  let year = yearOf(firstNight);
  let nextYearStart = dayOfYmd(year + 1, 1, 1);
  let cap = annualCap(policy, year);
  let used = usedByYear.get(year) ?? 0;
  for (let day = firstNight; day <= lastNight; day++) {
    if (day >= nextYearStart) {
      usedByYear.set(year, used);
      year = yearOf(day);
      nextYearStart = dayOfYmd(year + 1, 1, 1);
      cap = annualCap(policy, year);
      used = usedByYear.get(year) ?? 0;
    }
    if (entryIndex + 1 < entries.length && entries[entryIndex + 1]!.from <= day) {
      while (entryIndex + 1 < entries.length && entries[entryIndex + 1]!.from <= day) entryIndex++;
      entry = entries[entryIndex]!;
      ageFrom = ageMetFrom(person, entry);
    }
    const offset = day - firstNight;
    const nightOwner = owner[offset]!;
    if (nightOwner === -1 || dischargeDay[nightOwner]! > quarter.end) continue;
    if (paidDays.has(day)) verdict[offset] = V_ALREADY_PAID;
    else if (day < enrolled) verdict[offset] = V_BEFORE_ENROLMENT;
    else if (day >= exited) verdict[offset] = V_AFTER_EXIT;
    else if (day < ageFrom) verdict[offset] = V_UNDER_AGE;
    else if (used >= cap) verdict[offset] = V_CAP;
    else {
      verdict[offset] = V_COUNTED;
      rate[offset] = entry.dailyRateFen[person.category];
      used++;
    }
  }

  // Each payable row's own view of its nights, grouped into explanation lines.
  const regular: number[] = [];
  const backPay: number[] = [];
  for (const i of owners) {
    if (dischargeDay[i]! > quarter.end) continue;
    const stay = stays[i]!;
    const [first, last] = countNights(admissionDay[i]!, dischargeDay[i]!);
    const multiYear = yearOf(first) !== yearOf(last);
    const explanation: ExplanationFact[] = [];
    const paidNights: IsoDate[] = [];
    const tally = new Map<NotEligibleReason, number>();
    let amountFen = 0;
    let runStart = first;
    let runCode = -1;
    let runRate = 0;
    let runOwner = -1;
    let yearBreak = dayOfYmd(yearOf(first) + 1, 1, 1);
    const flush = (runEnd: number) => {
      const from = isoOf(runStart);
      const to = isoOf(runEnd);
      switch (runCode) {
        case V_COUNTED:
          explanation.push({
            kind: 'counted',
            from,
            to,
            nights: runEnd - runStart + 1,
            rateFen: runRate,
            category: person.category,
            splitYear: multiYear ? yearOf(runStart) : null,
          });
          break;
        case V_ALREADY_PAID:
          explanation.push({ kind: 'night_already_paid', from, to });
          break;
        case V_BEFORE_ENROLMENT:
          explanation.push({ kind: 'before_enrolment', from, to, enrolledOn: person.enrolledOn });
          break;
        case V_AFTER_EXIT:
          explanation.push({ kind: 'after_exit', from, to, exitedOn: person.exitedOn! });
          break;
        case V_UNDER_AGE: {
          const rule = entryOn(policy, runStart).ageRule[person.category];
          explanation.push({ kind: 'under_age', from, to, subject: rule.subject, minAge: rule.minAge });
          break;
        }
        case V_CAP:
          explanation.push({
            kind: 'annual_cap',
            from,
            to,
            cap: annualCap(policy, yearOf(runStart)),
            year: yearOf(runStart),
          });
          break;
        case V_OVERLAP:
          explanation.push({ kind: 'overlap', from, to, ownerRecordId: stays[runOwner]!.recordId });
          break;
      }
    };
    for (let day = first; day <= last; day++) {
      const offset = day - firstNight;
      const nightOwner = owner[offset]!;
      const code = nightOwner !== i ? V_OVERLAP : verdict[offset]!;
      const nightRate = code === V_COUNTED ? rate[offset]! : 0;
      // 第五条: a run never crosses 31 December, so each year's nights read as their own line.
      const newYear = day === yearBreak;
      if (newYear) yearBreak = dayOfYmd(yearOf(day) + 1, 1, 1);
      if (code !== runCode || nightRate !== runRate || nightOwner !== runOwner || newYear) {
        if (runCode !== -1) flush(day - 1);
        runStart = day;
        runCode = code;
        runRate = nightRate;
        runOwner = nightOwner;
      }
      if (code === V_COUNTED) {
        amountFen += nightRate;
        paidNights.push(isoOf(day));
      } else {
        const reason = VERDICT_REASON[code]!;
        tally.set(reason, (tally.get(reason) ?? 0) + 1);
      }
    }
    flush(last);

    if (paidNights.length > 0) {
      rows[i] = {
        recordId: stay.recordId,
        outcome: 'paid',
        reason: null,
        nights: paidNights.length,
        amountFen,
        paidNights,
        explanation,
      };
      (dischargeDay[i]! >= quarter.start ? regular : backPay).push(i);
    } else {
      // No night paid: the reason covering most of its nights; a tie goes to the earlier reason in NOT_ELIGIBLE_REASONS.
      let reason: NotEligibleReason = 'overlap';
      let best = -1;
      for (const [candidate, count] of tally) {
        if (count > best || (count === best && PRECEDENCE.get(candidate)! < PRECEDENCE.get(reason)!)) {
          reason = candidate;
          best = count;
        }
      }
      rows[i] = {
        recordId: stay.recordId,
        outcome: 'not_eligible',
        reason,
        nights: 0,
        amountFen: 0,
        paidNights: [],
        explanation,
      };
    }
  }

  // 第八条: one payment per kind, split city/county under the entry in force on the quarter's last day.
  const cityShare = entryOn(policy, quarter.end).cityShareBasisPoints;
  const payments: Payment[] = [];
  for (const [kind, indices] of [
    ['regular', regular],
    ['back_pay', backPay],
  ] as [PaymentKind, number[]][]) {
    if (indices.length === 0) continue;
    let nights = 0;
    let amountFen = 0;
    const days: number[] = [];
    for (const i of indices) {
      const row = rows[i]!;
      nights += row.nights;
      amountFen += row.amountFen;
      const [first, last] = countNights(admissionDay[i]!, dischargeDay[i]!);
      for (let day = first; day <= last; day++)
        if (owner[day - firstNight] === i && verdict[day - firstNight] === V_COUNTED) days.push(day);
    }
    days.sort((x, y) => x - y);
    payments.push({
      idNumber: person.idNumber,
      jurisdiction: person.jurisdiction,
      category: person.category,
      kind,
      nights,
      amountFen,
      ...fundingSplit(amountFen, cityShare),
      recordIds: indices.map((i) => stays[i]!.recordId).sort(compareRecordIds),
      nightDates: days.map(isoOf),
      policyVersion: policy.version,
    });
  }
  noteOverlappingExclusions(stays, admissionDay, dischargeDay, rows as RowOutcome[]);
  noteCorrections(stays, rows as RowOutcome[], input.corrections);
  return { rows: rows as RowOutcome[], payments };
}
