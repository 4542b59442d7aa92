// Synthetic, realistic Xuchang-scale inputs: a roster and a medical-insurance extract with valid
// GB 11643 ID numbers (fake people), seeded so every run produces the same files. Used by the
// benchmarks and to make the bundled sample data (samples/).
import { once } from 'node:events';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { dayOf, isoOf } from '../domain/dates';
import { checkCharacter } from '../domain/subsidy/id-number';
import { JURISDICTIONS } from '../domain/subsidy/jurisdictions';
import { parseQuarter } from '../domain/subsidy/quarter';
import { ROSTER_COLUMNS, STAY_COLUMNS } from '../domain/subsidy/rows';

/** mulberry32: small, fast, seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林', '罗'];
const GIVEN = ['桂兰', '秀英', '玉梅', '建国', '国强', '志明', '淑珍', '凤英', '德胜', '春华', '金凤', '长林', '保国', '素芳', '海涛', '红梅'];
const HOSPITALS = ['许昌市中心医院', '许昌市人民医院', '许昌市第二人民医院', '禹州市人民医院', '长葛市人民医院', '鄢陵县人民医院', '襄城县人民医院', '建安区人民医院'];
const EXCLUSIONS = ['traffic_insured', 'illegal_driving', 'workplace_violation', 'unlicensed_activity', 'abroad'];
// Real GB/T 2260 prefixes of Xuchang for ID numbers; the management zones' residents hold 4110xx IDs too.
const ID_REGIONS = ['411002', '411003', '411024', '411025', '411081', '411082'];
const JURISDICTION_WEIGHTS = [0.16, 0.14, 0.11, 0.13, 0.2, 0.12, 0.05, 0.05, 0.04];

export interface SyntheticOptions {
  dir: string;
  quarter: string;
  rows: number;
  rosterSize: number;
  seed: number;
  /** Share of extract rows that are bad (spread over the quarantine reasons); default 1 %. */
  badShare?: number;
}

async function write(stream: WriteStream, line: string): Promise<void> {
  if (!stream.write(line)) await once(stream, 'drain');
}

function csv(values: string[]): string {
  return `${values.map((v) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)).join(',')}\n`;
}

async function close(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

interface Person {
  id: string;
  birth: number;
}

export async function writeSyntheticSubsidyData(options: SyntheticOptions): Promise<{ roster: string; hospitalizations: string }> {
  const random = prng(options.seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const quarter = parseQuarter(options.quarter);
  const used = new Set<string>();
  const makeId = (birth: number, male: boolean): string => {
    for (;;) {
      const seq = between(0, 99) * 10 + (male ? 2 * between(0, 4) + 1 : 2 * between(0, 4));
      const first17 = `${pick(ID_REGIONS)}${isoOf(birth).replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
      const id = first17 + checkCharacter(first17);
      if (!used.has(id)) {
        used.add(id);
        return id;
      }
    }
  };
  const jurisdictionOf = () => {
    let r = random();
    for (let i = 0; i < JURISDICTION_WEIGHTS.length; i++) if ((r -= JURISDICTION_WEIGHTS[i]!) < 0) return JURISDICTIONS[i]!.code;
    return JURISDICTIONS[0]!.code;
  };

  mkdirSync(options.dir, { recursive: true });
  const rosterFile = path.join(options.dir, 'roster.csv');
  const extractFile = path.join(options.dir, `hospitalizations-${options.quarter}.csv`);
  const roster = createWriteStream(rosterFile);
  await write(roster, csv([...ROSTER_COLUMNS]));
  const people: Person[] = [];
  for (let i = 0; i < options.rosterSize; i++) {
    const r = random();
    const category = r < 0.7 ? 'one_child_parent' : r < 0.9 ? 'bereaved' : 'disabled_child';
    const male = random() < 0.45;
    // Mostly over the age line; a few just below it, so the age rule shows.
    const birth = category === 'one_child_parent' ? dayOf('1938-01-01') + between(0, 365 * 29) : dayOf('1950-01-01') + between(0, 365 * 28);
    const femaleBirth = male && category !== 'one_child_parent' ? isoOf(birth + between(-700, 1500)) : '';
    const id = makeId(birth, male);
    const enrolled = isoOf(dayOf('2019-01-01') + between(0, 365 * 6));
    const exited = random() < 0.03 ? isoOf(quarter.start + between(0, 80)) : '';
    await write(
      roster,
      csv([
        id,
        `${pick(SURNAMES)}${pick(GIVEN)}`,
        male ? 'M' : 'F',
        isoOf(birth),
        femaleBirth,
        jurisdictionOf(),
        category,
        pick(['ICBC', 'ABC', 'BOC', 'CCB', 'XCRCB']),
        `6217${String(between(0, 999_999_999)).padStart(9, '0')}${String(i).padStart(6, '0')}`,
        enrolled,
        exited && exited > enrolled ? exited : '',
      ]),
    );
    people.push({ id, birth });
  }
  await close(roster);

  const extract = createWriteStream(extractFile);
  await write(extract, csv([...STAY_COLUMNS]));
  const badShare = options.badShare ?? 0.01;
  const outsiders: string[] = [];
  let recordNo = 1_000_000;
  let previous: string[] | undefined;
  for (let i = 0; i < options.rows; i++) {
    const onRoster = random() < 0.9 || outsiders.length > 5_000;
    let id: string;
    if (onRoster) id = pick(people).id;
    else {
      id = makeId(dayOf('1940-01-01') + between(0, 365 * 35), random() < 0.5);
      outsiders.push(id);
    }
    // Most stays end in the quarter; some ended a quarter earlier (back-pay) or cross the year.
    const backPay = random() < 0.05;
    const length = Math.min(90, Math.floor(-Math.log(1 - random()) * 9));
    const discharge = backPay ? quarter.start - between(1, 80) : quarter.start + between(0, quarter.end - quarter.start);
    const admission = discharge - length;
    const row = [String(recordNo++), id, `${pick(SURNAMES)}${pick(GIVEN)}`, pick(HOSPITALS), isoOf(admission), isoOf(discharge), random() < 0.03 ? pick(EXCLUSIONS) : ''];
    if (previous && random() < 0.02) {
      // A transfer between hospitals: the same person, overlapping dates.
      row[1] = previous[1]!;
      row[4] = previous[5]!;
    }
    if (random() < badShare) {
      const kind = between(0, 5);
      if (kind === 0) row[1] = row[1]!.slice(0, 17) + (row[1]![17] === '0' ? '1' : '0');
      else if (kind === 1) row[4] = row[4]!.slice(0, 5) + '02-30';
      else if (kind === 2) [row[4], row[5]] = [row[5]!, isoOf(dayOf(row[5]!) - 3)];
      else if (kind === 3) row[5] = isoOf(quarter.end + 4000);
      else if (kind === 4 && previous) row[0] = previous[0]!; // same record id, different content
      else if (previous) row.splice(0, row.length, ...previous); // an exact repeat
    }
    await write(extract, csv(row));
    previous = row;
  }
  await close(extract);
  return { roster: rosterFile, hospitalizations: extractFile };
}
