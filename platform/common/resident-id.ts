import { type IsoDate, parseIsoDate } from './dates';

// GB 11643-1999 citizen identity numbers: 6-digit administrative region (GB/T 2260), 8-digit birth date,
// 3-digit sequence (odd for men), and an ISO 7064 MOD 11-2 check character (0–9 or X).
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';
/** Province-level prefixes of GB/T 2260 (incl. 71 Taiwan, 81 Hong Kong, 82 Macao, 83 residence permits). */
const PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
  64, 65, 71, 81, 82, 83,
]);
const SHAPE = /^\d{17}[\dX]$/;
const EARLIEST_BIRTH_YEAR = 1880;

/** The check character for the first 17 digits. */
export function checkCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return CHECK[sum % 11]!;
}

export type IdCheck =
  | { ok: true; idNumber: string; birthDate: IsoDate; gender: 'F' | 'M'; region: string }
  | { ok: false; reason: 'bad_id_format' | 'bad_id_checksum'; detail: string };

/**
 * Validates an 18-character resident ID number (surrounding spaces ignored, a lower-case x accepted):
 * shape, a plausible province prefix, a real birth date (not after `today` when given), then the check
 * character. The details name the column and never echo the number.
 */
export function checkIdNumber(raw: string, today?: IsoDate, column = 'id_number'): IdCheck {
  const id = raw.trim().toUpperCase();
  if (!SHAPE.test(id))
    return { ok: false, reason: 'bad_id_format', detail: `${column}: not 17 digits and a check character (GB 11643)` };
  if (!PROVINCES.has((id.charCodeAt(0) - 48) * 10 + id.charCodeAt(1) - 48)) {
    return { ok: false, reason: 'bad_id_format', detail: `${column}: unknown province prefix (GB/T 2260)` };
  }
  const birthDate = `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
  const birth = parseIsoDate(birthDate);
  if (birth === undefined || Number(id.slice(6, 10)) < EARLIEST_BIRTH_YEAR) {
    return { ok: false, reason: 'bad_id_format', detail: `${column}: birth-date digits are not a real date` };
  }
  if (today !== undefined && birthDate > today)
    return { ok: false, reason: 'bad_id_format', detail: `${column}: birth date after today` };
  if (checkCharacter(id) !== id[17])
    return { ok: false, reason: 'bad_id_checksum', detail: `${column}: check character does not match (GB 11643)` };
  return {
    ok: true,
    idNumber: id,
    birthDate,
    gender: (id.charCodeAt(16) - 48) % 2 === 1 ? 'M' : 'F',
    region: id.slice(0, 6),
  };
}

/** Builds a valid number from region, birth date and sequence (synthetic data and tests). */
export function makeIdNumber(region: string, birthDate: IsoDate, sequence: number): string {
  const first17 = `${region}${birthDate.replaceAll('-', '')}${String(sequence).padStart(3, '0')}`;
  if (!/^\d{17}$/.test(first17)) throw new Error('bad parts for an ID number');
  return first17 + checkCharacter(first17);
}
