// Synthetic, realistic Xuchang-scale inputs: a beneficiary roster and a medical-insurance extract
// (CONTRACT.md formats) with valid GB 11643 ID numbers of fake people, from a seeded PRNG so the same
// options always write the same bytes. Used by the benchmarks and to make the bundled sample data.
//
// The roster depends only on (seed, rosterSize): extracts of several quarters made with one seed share
// one roster. The extract depends on (seed, quarter, rows, rosterSize, badShare). Shape of the data:
// - the extract holds every inpatient aged 49+ (第十条), so most rows are people NOT on the roster;
// - stays: ~3 % same-day, otherwise a long-tailed length (median ~6 nights, a few up to 120), ~8 %
//   discharged in the two quarters before (back-pay), long stays crossing quarter and year ends;
// - overlaps: hospital transfers sharing a night or two, nested duplicates from a second hospital;
// - ~2 % exclusions (第七条); roster people near the age lines, enrolled or exited mid-quarter;
// - `badShare` (default 1 %) of rows broken, spread evenly over every quarantine kind.
import { once } from 'node:events';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { dayOf, dayOfYmd, isoOf, yearOf } from '../platform/common/dates';
import { checkCharacter } from '../platform/common/resident-id';
import { JURISDICTIONS } from '../subsidy/rules/jurisdictions';
import { parseQuarter } from '../subsidy/rules/quarter';
import { ROSTER_COLUMNS, STAY_COLUMNS } from '../subsidy/rules/rows';
import { EXCLUSION_CODES } from '../subsidy/rules/types';

export interface SyntheticOptions {
  dir: string;
  /** The quarter whose discharges the extract mostly holds, '2025Q3'. */
  quarter: string;
  /** Extract rows. */
  rows: number;
  rosterSize: number;
  seed: number;
  /** Share of rows (roster and extract) that are broken, spread over the quarantine reasons; default 0.01. */
  badShare?: number;
  /** Default roster.csv. */
  rosterFileName?: string;
  /** Put every roster person in this jurisdiction (one county with many items, for bench:review). */
  onlyJurisdiction?: string;
  /** Share of new stays that belong to roster people (the rest to inpatients not on it); default 0.2. */
  rosterShare?: number;
  /** Default hospitalizations-<quarter>.csv. */
  extractFileName?: string;
}

export interface SyntheticFiles {
  roster: string;
  hospitalizations: string;
}

/** mulberry32: small, fast, seeded. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function hashText(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const SURNAMES = [
  '王',
  '李',
  '张',
  '刘',
  '陈',
  '杨',
  '赵',
  '黄',
  '周',
  '吴',
  '徐',
  '孙',
  '马',
  '朱',
  '胡',
  '郭',
  '何',
  '高',
  '林',
  '罗',
  '许',
  '范',
  '宋',
  '韩',
];
const GIVEN = [
  '桂兰',
  '秀英',
  '玉梅',
  '建国',
  '国强',
  '志明',
  '淑珍',
  '凤英',
  '德胜',
  '春华',
  '金凤',
  '长林',
  '保国',
  '素芳',
  '海涛',
  '红梅',
  '秀云',
  '文华',
  '玉珍',
  '振华',
];
const HOSPITALS = [
  '许昌市中心医院',
  '许昌市人民医院',
  '许昌市第二人民医院',
  '许昌市中医院',
  '禹州市人民医院',
  '长葛市人民医院',
  '鄢陵县人民医院',
  '襄城县人民医院',
  '建安区人民医院',
  '魏都区社区卫生服务中心',
];
const BANKS = ['ICBC', 'ABC', 'BOC', 'CCB', 'XCRCB'];
// Real GB/T 2260 prefixes of Xuchang; residents of the management zones hold these IDs too.
const ID_REGIONS = ['411002', '411003', '411024', '411025', '411081', '411082'];
// Roughly by registered population; the three management zones are small.
const JURISDICTION_WEIGHTS = [0.1, 0.15, 0.12, 0.14, 0.22, 0.15, 0.05, 0.04, 0.03];
const BIRTH_FIRST = dayOfYmd(1930, 1, 1);
const BIRTH_DAYS = dayOfYmd(1985, 12, 31) - BIRTH_FIRST + 1;

/** Unique valid ID numbers without remembering them: (region, birth day, sex) → next sequence in a band. */
class IdFactory {
  private readonly next = new Uint16Array(ID_REGIONS.length * BIRTH_DAYS * 2);
  constructor(private readonly bandStart: number) {}

  make(regionIndex: number, birth: number, male: boolean): string {
    for (let r = 0; r < ID_REGIONS.length; r++) {
      const region = (regionIndex + r) % ID_REGIONS.length;
      const slot = (region * BIRTH_DAYS + (birth - BIRTH_FIRST)) * 2 + (male ? 1 : 0);
      const n = this.next[slot]!;
      if (n >= 250) continue; // the band holds 250 numbers per sex
      this.next[slot] = n + 1;
      const seq = this.bandStart + 2 * n + (male ? 1 : 0); // odd sequence for men (GB 11643)
      const first17 = `${ID_REGIONS[region]}${isoOf(birth).replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
      return first17 + checkCharacter(first17);
    }
    throw new Error('synthetic ID space exhausted for one birth day');
  }
}

function csvLine(values: readonly string[]): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out += (i === 0 ? '' : ',') + (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  }
  return `${out}\n`;
}

/** Buffers lines and writes them in ~1 MB chunks, respecting back-pressure. */
class LineWriter {
  private buffer = '';
  private readonly stream: WriteStream;
  constructor(file: string) {
    this.stream = createWriteStream(file);
  }
  async line(values: readonly string[]): Promise<void> {
    this.buffer += csvLine(values);
    if (this.buffer.length > 1 << 20) await this.flush();
  }
  private async flush(): Promise<void> {
    const chunk = this.buffer;
    this.buffer = '';
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }
  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
  }
}

interface RosterPerson {
  id: string;
  /** Heavier users of hospitals are picked more often. */
  weight: number;
}

async function writeRoster(file: string, options: SyntheticOptions, ids: IdFactory): Promise<RosterPerson[]> {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const badShare = options.badShare ?? 0.01;
  const out = new LineWriter(file);
  await out.line(ROSTER_COLUMNS);
  const people: RosterPerson[] = [];
  for (let i = 0; i < options.rosterSize; i++) {
    const r = random();
    const category = r < 0.75 ? 'one_child_parent' : r < 0.9 ? 'bereaved' : 'disabled_child';
    const male = random() < 0.5;
    let birth: number;
    let femaleBirth = '';
    if (category === 'one_child_parent') {
      // Mostly 60–88 in 2025; ~4 % turn 60 during 2025–2026, so the age rule bites mid-stay.
      birth = random() < 0.04 ? dayOfYmd(1965, 1, 1) + between(0, 729) : dayOfYmd(1937, 1, 1) + between(0, 365 * 28);
    } else {
      // The family's female partner is 49+ (第四条); ~5 % turn 49 during 2025–2026.
      const partner =
        random() < 0.05 ? dayOfYmd(1976, 1, 1) + between(0, 729) : dayOfYmd(1945, 1, 1) + between(0, 365 * 30);
      birth = male ? Math.min(partner + between(-1500, 700), dayOfYmd(1985, 12, 31)) : partner;
      if (male) femaleBirth = isoOf(partner);
    }
    const drawn = (() => {
      let x = random();
      for (let j = 0; j < JURISDICTION_WEIGHTS.length; j++)
        if ((x -= JURISDICTION_WEIGHTS[j]!) < 0) return JURISDICTIONS[j]!.code;
      return JURISDICTIONS[0]!.code;
    })();
    const jurisdiction = options.onlyJurisdiction ?? drawn;
    const id = ids.make(between(0, ID_REGIONS.length - 1), birth, male);
    // Most enrolled years ago; some during 2025 (mid-quarter enrolment); ~3 % exited in 2025.
    const enrolled =
      random() < 0.92 ? dayOfYmd(2019, 1, 1) + between(0, 365 * 6) : dayOfYmd(2025, 1, 1) + between(0, 364);
    const exited = random() < 0.03 ? Math.max(enrolled + 30, dayOfYmd(2025, 1, 1) + between(0, 364)) : undefined;
    const row = [
      id,
      `${pick(SURNAMES)}${pick(GIVEN)}`,
      male ? 'M' : 'F',
      isoOf(birth),
      femaleBirth,
      jurisdiction,
      category,
      pick(BANKS),
      `6217${String(between(0, 99_999_999)).padStart(8, '0')}${String(i).padStart(7, '0')}`,
      isoOf(enrolled),
      exited === undefined ? '' : isoOf(exited),
    ];
    if (random() < badShare) {
      const kind = between(0, 5);
      if (kind === 0)
        row[0] = id.slice(0, 17) + (id[17] === '0' ? '1' : '0'); // bad_id_checksum
      else if (kind === 1)
        row[5] = '411099'; // unknown_jurisdiction
      else if (kind === 2)
        row[6] = 'orphan_parent'; // unknown_category
      else if (kind === 3)
        row[9] = '2023-02-30'; // impossible_date
      else if (kind === 4)
        row[8] = ''; // missing_field
      else row[3] = isoOf(birth + 1); // id_birth_mismatch
    }
    await out.line(row);
    people.push({ id, weight: random() < 0.1 ? 3 : 1 });
  }
  await out.close();
  return people;
}

/**
 * Writes roster.csv and the quarter's hospitalizations CSV into `dir` and returns their paths. Fake
 * names only; ID numbers are valid GB 11643 numbers (Xuchang prefixes 4110xx) of nobody in particular.
 */
export async function writeSyntheticSubsidyData(options: SyntheticOptions): Promise<SyntheticFiles> {
  mkdirSync(options.dir, { recursive: true });
  const rosterFile = path.join(options.dir, options.rosterFileName ?? 'roster.csv');
  const extractFile = path.join(options.dir, options.extractFileName ?? `hospitalizations-${options.quarter}.csv`);
  // Roster people take sequence numbers 500–999, outsiders 000–499: never the same number.
  const people = await writeRoster(rosterFile, options, new IdFactory(500));
  const outsiderIds = new IdFactory(0);

  const random = seededRandom(options.seed ^ hashText(options.quarter));
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const quarter = parseQuarter(options.quarter);
  const badShare = options.badShare ?? 0.01;
  // Heavier users are picked more often: a cumulative table over the weights.
  const cumulative = new Float64Array(people.length);
  let totalWeight = 0;
  people.forEach((p, i) => (cumulative[i] = totalWeight += p.weight));
  const pickRosterPerson = (): string => {
    const x = random() * totalWeight;
    let lo = 0;
    let hi = people.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return people[lo]!.id;
  };
  const recentOutsiders: string[] = [];
  const recordBase = (quarter.year * 10 + quarter.number) * 10_000_000;
  const out = new LineWriter(extractFile);
  await out.line(STAY_COLUMNS);
  let previous: string[] | undefined;
  let lastGood: string[] | undefined;
  for (let i = 0; i < options.rows; i++) {
    let id: string;
    let admission: number;
    let discharge: number;
    const hospital = pick(HOSPITALS);
    if (lastGood && random() < 0.03) {
      // The same person again: a transfer sharing a night or two, or a nested duplicate from another hospital.
      id = lastGood[1]!;
      const prevAdmission = dayOf(lastGood[4]!);
      const prevDischarge = dayOf(lastGood[5]!);
      if (random() < 0.6) {
        admission = prevDischarge - between(0, 2);
        discharge = Math.min(quarter.end, admission + between(0, 12));
      } else {
        admission = prevAdmission + between(0, Math.max(0, prevDischarge - prevAdmission));
        discharge = admission + between(0, Math.max(0, prevDischarge - admission));
      }
      if (admission < prevAdmission) admission = prevAdmission;
      if (discharge < admission) discharge = admission;
    } else {
      if (people.length > 0 && random() < (options.rosterShare ?? 0.2)) id = pickRosterPerson();
      else if (recentOutsiders.length > 0 && random() < 0.25) id = pick(recentOutsiders);
      else {
        // Inpatients aged 49–95 (第十条: the bureau sends records of people aged 49 and over).
        const age = 49 + Math.floor(46 * random() ** 1.3);
        const birth = Math.max(BIRTH_FIRST, quarter.start - age * 365 - between(0, 364));
        id = outsiderIds.make(between(0, ID_REGIONS.length - 1), birth, random() < 0.5);
        if (recentOutsiders.length < 1_000) recentOutsiders.push(id);
        else recentOutsiders[between(0, 999)] = id;
      }
      const u = random();
      const nights = u < 0.03 ? 0 : u < 0.985 ? 1 + Math.floor(-Math.log(1 - random()) * 7) : between(30, 120);
      discharge =
        random() < 0.08 ? quarter.start - between(1, 180) : quarter.start + between(0, quarter.end - quarter.start);
      admission = discharge - Math.min(nights, 150);
    }
    const row = [
      String(recordBase + i),
      id,
      `${pick(SURNAMES)}${pick(GIVEN)}`,
      hospital,
      isoOf(admission),
      isoOf(discharge),
      random() < 0.02 ? pick(EXCLUSION_CODES) : '',
    ];
    let broken = false;
    if (random() < badShare) {
      broken = true;
      const kind = between(0, 8);
      if (kind === 0)
        row[1] = id.slice(0, 17) + (id[17] === '0' ? '1' : '0'); // bad_id_checksum
      else if (kind === 1)
        row[1] = id.slice(0, 16); // bad_id_format
      else if (kind === 2)
        row[4] = `${yearOf(admission)}-02-30`; // impossible_date
      else if (kind === 3)
        [row[4], row[5]] = [isoOf(discharge + between(1, 5)), isoOf(discharge)]; // discharge_before_admission
      else if (kind === 4)
        row[5] = isoOf(quarter.end + 4_000); // future_date
      else if (kind === 5)
        row[5] = ''; // missing_field
      else if (kind === 6)
        row[6] = 'drunk'; // unknown_exclusion
      else if (kind === 7 && previous)
        row[0] = previous[0]!; // duplicate_conflict: same record id, other content
      else if (previous) row.splice(0, row.length, ...previous); // duplicate_record: an exact repeat
    }
    await out.line(row);
    previous = row;
    if (!broken) lastGood = row;
  }
  await out.close();
  return { roster: rosterFile, hospitalizations: extractFile };
}

// As a command: `npx tsx bench/synthetic.ts --dir DIR --quarter 2025Q3 --rows N --roster N --seed N [--bad-share 0.01]`
// prints the paths of the two files as JSON.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string, fallback?: string): string => {
    const i = process.argv.indexOf(`--${name}`);
    const value = i >= 0 ? process.argv[i + 1] : fallback;
    if (value === undefined) throw new Error(`--${name} is required`);
    return value;
  };
  const files = await writeSyntheticSubsidyData({
    dir: arg('dir'),
    quarter: arg('quarter', '2025Q3'),
    rows: Number(arg('rows', '3000')),
    rosterSize: Number(arg('roster', '800')),
    seed: Number(arg('seed', '20250618')),
    badShare: Number(arg('bad-share', '0.01')),
  });
  console.log(JSON.stringify(files));
}
