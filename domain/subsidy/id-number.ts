import { parseIsoDate } from '../dates';

// GB 11643-1999 citizen identity numbers: 6-digit region, 8-digit birth date, 3-digit sequence
// (odd for men), and an ISO 7064 MOD 11-2 check character.
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';
const PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
]);

export function checkCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return CHECK[sum % 11]!;
}

export type IdCheck =
  | { ok: true; idNumber: string; birthDate: string; gender: 'F' | 'M' }
  | { ok: false; reason: 'bad_id_format' | 'bad_id_checksum'; detail: string };

/** Validates an 18-character resident ID number; the returned number has an upper-case X. */
export function checkIdNumber(raw: string): IdCheck {
  const id = raw.trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(id)) return { ok: false, reason: 'bad_id_format', detail: 'id_number: not 17 digits and a check character' };
  if (!PROVINCES.has(Number(id.slice(0, 2)))) return { ok: false, reason: 'bad_id_format', detail: 'id_number: unknown region prefix' };
  const birthDate = `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
  if (parseIsoDate(birthDate) === undefined || Number(id.slice(6, 10)) < 1890) {
    return { ok: false, reason: 'bad_id_format', detail: 'id_number: birth-date digits are not a real date' };
  }
  if (checkCharacter(id) !== id[17]) return { ok: false, reason: 'bad_id_checksum', detail: 'id_number: check character does not match (GB 11643)' };
  return { ok: true, idNumber: id, birthDate, gender: Number(id[16]) % 2 === 1 ? 'M' : 'F' };
}
