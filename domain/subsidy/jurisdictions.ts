import file from '../../data/jurisdictions.json';

export interface Jurisdiction {
  code: string;
  name: string;
  kind: string;
}

/** The paying jurisdictions (户籍 decides), as data: data/jurisdictions.json. */
export const JURISDICTIONS: readonly Jurisdiction[] = file.jurisdictions;
const CODES = new Set(JURISDICTIONS.map((j) => j.code));

export function isJurisdiction(code: string): boolean {
  return CODES.has(code);
}
