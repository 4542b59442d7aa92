// Official holiday arrangements as dated files, data/holidays/YYYY.json, one per year.
// Why files and not the database: `subsidy deadlines` must answer without starting a server, the
// arrangement is public reference data like data/subsidy-policy.json (reviewed and versioned with the
// code, same for every stack), and the workers and the CLI read the same folder. The import is one
// command (`calendar import FILE`); waiting cycles are then told (calendarUpdatedSignal) or re-read it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../../platform/config';
import { type HolidayArrangement, holidayArrangementSchema, WorkingCalendar } from '../rules/calendar';

/** data/holidays, or HOLIDAYS_DIR (tests and operators trying a file out point it elsewhere). */
export const DEFAULT_HOLIDAYS_DIR = process.env.HOLIDAYS_DIR || path.join(repoRoot, 'data', 'holidays');

/** Reads and validates one arrangement file; the error names the file and the field. */
export function parseArrangementFile(file: string): HolidayArrangement {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `${file}: not a JSON holiday arrangement (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const parsed = holidayArrangementSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join('.') || '(file)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Every arrangement in the folder (files named YYYY.json); read on each call, so an import is seen at once. */
export function readArrangements(dir: string = DEFAULT_HOLIDAYS_DIR): HolidayArrangement[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^\d{4}\.json$/.test(f))
    .sort()
    .map((f) => {
      const a = parseArrangementFile(path.join(dir, f));
      if (`${a.year}.json` !== f) throw new Error(`${path.join(dir, f)}: holds year ${a.year}`);
      return a;
    });
}

export function workingCalendar(dir: string = DEFAULT_HOLIDAYS_DIR): WorkingCalendar {
  return new WorkingCalendar(readArrangements(dir));
}

/** Validates FILE and stores it as DIR/YYYY.json (atomically: a reader never sees half a file). */
export async function importArrangement(
  file: string,
  dir: string = DEFAULT_HOLIDAYS_DIR,
): Promise<{ arrangement: HolidayArrangement; stored: string }> {
  const arrangement = parseArrangementFile(file);
  await mkdir(dir, { recursive: true });
  const stored = path.join(dir, `${arrangement.year}.json`);
  const temp = `${stored}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(arrangement, null, 2)}\n`);
  await rename(temp, stored);
  return { arrangement, stored };
}
