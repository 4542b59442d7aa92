import { z } from 'zod';

// Query strings are text: "false" is a non-empty string, which z.coerce.boolean() turns into true.
// Every flag and number in a query string goes through these, so "false" and "0" mean false.

/** A yes/no query parameter: true|1|yes|on or false|0|no|off (case-insensitive); anything else is a 400. */
export function queryFlag(defaultValue = false) {
  return z
    .stringbool({ truthy: ['true', '1', 'yes', 'on'], falsy: ['false', '0', 'no', 'off'], case: 'insensitive' })
    .default(defaultValue)
    .describe('true|false (also 1|0, yes|no, on|off)');
}

/** A whole-number query parameter within [min, max]; digits only (no "", no "1e3", no "-0"). */
export function queryInt(min: number, max: number, defaultValue: number) {
  return z
    .string()
    .regex(/^\d{1,15}$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .default(defaultValue);
}

/** An optional whole-number query parameter within [min, max]. */
export function queryIntOptional(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,15}$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional();
}
