import { z } from 'zod';
import file from '../../data/jurisdictions.json';

// The paying jurisdictions (户籍 decides, 第八条): data/jurisdictions.json — the six GB/T 2260 codes and
// the three management zones with stable internal codes.

const schema = z.object({
  version: z.string().min(1),
  note: z.string().optional(),
  jurisdictions: z
    .array(z.object({ code: z.string().regex(/^[0-9A-Z]{6}$/), name: z.string().min(1), kind: z.string().min(1) }))
    .min(1)
    .refine(
      (list) => new Set(list.map((jurisdiction) => jurisdiction.code)).size === list.length,
      'duplicate jurisdiction code',
    ),
});

export interface Jurisdiction {
  code: string;
  name: string;
  kind: string;
}

/** Anything that can say whether a code is a known jurisdiction (a Set of codes will do). */
export interface JurisdictionLookup {
  has(code: string): boolean;
}

export function parseJurisdictions(input: unknown): readonly Jurisdiction[] {
  return schema.parse(input).jurisdictions;
}

export const JURISDICTIONS: readonly Jurisdiction[] = parseJurisdictions(file);
export const JURISDICTION_CODES: ReadonlySet<string> = new Set(JURISDICTIONS.map((jurisdiction) => jurisdiction.code));

export function isJurisdiction(code: string): boolean {
  return JURISDICTION_CODES.has(code);
}

export function jurisdictionName(code: string): string | undefined {
  return JURISDICTIONS.find((jurisdiction) => jurisdiction.code === code)?.name;
}
