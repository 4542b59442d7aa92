import { z } from 'zod';
import policyFile from '../../data/subsidy-policy.json';
import { dayOf, dayOfYmd, parseIsoDate } from '../../platform/common/dates';
import type { Category } from './types';

// The dated policy table (第四条 rates, cap and ages; 第八条 funding split; 第十六条 in force from
// 2025-06-18): every figure that may change by date is data in data/subsidy-policy.json.

const isoDate = z.string().refine((text) => parseIsoDate(text) !== undefined, 'a real YYYY-MM-DD date');
const fen = z.number().int().positive();
const ageRule = z.object({
  subject: z.enum(['beneficiary', 'female_partner']),
  minAge: z.number().int().min(0).max(150),
});
const entrySchema = z.object({
  effectiveFrom: isoDate,
  basis: z.string().optional(),
  dailyRateFen: z.object({ one_child_parent: fen, bereaved: fen, disabled_child: fen }),
  annualCapNights: z.number().int().min(0).max(366),
  ageRule: z.object({ one_child_parent: ageRule, bereaved: ageRule, disabled_child: ageRule }),
  cityShareBasisPoints: z.number().int().min(0).max(10_000),
});
const policySchema = z.object({
  version: z.string().min(1),
  source: z.string().optional(),
  selection: z.string().optional(),
  entries: z
    .array(entrySchema)
    .min(1)
    .refine(
      (entries) => new Set(entries.map((entry) => entry.effectiveFrom)).size === entries.length,
      'two entries with the same effectiveFrom',
    ),
});

export type PolicyFile = z.input<typeof policySchema>;
export type AgeRule = z.infer<typeof ageRule>;
export type PolicyEntry = z.infer<typeof entrySchema> & {
  /** effectiveFrom as a day number. */
  from: number;
};

export interface Policy {
  version: string;
  /** Sorted by effectiveFrom. */
  entries: readonly PolicyEntry[];
}

/** Validates a policy table (zod) and sorts its entries; throws a readable error on a bad table. */
export function parsePolicy(input: unknown): Policy {
  const result = policySchema.safeParse(input);
  if (!result.success) throw new Error(`invalid subsidy policy table: ${z.prettifyError(result.error)}`);
  const entries = result.data.entries
    .map((entry) => ({ ...entry, from: dayOf(entry.effectiveFrom) }))
    .sort((a, b) => a.from - b.from);
  return { version: result.data.version, entries };
}

/** The entry in force on a day: the last one starting on or before it; days before the first use the first. */
export function entryOn(policy: Policy, dayNumber: number): PolicyEntry {
  const entries = policy.entries;
  let found = entries[0]!;
  for (let i = 1; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.from <= dayNumber) found = entry;
    else break;
  }
  return found;
}

/** 第四条: the daily rate of a category on a night, in fen. */
export function dailyRateFen(policy: Policy, category: Category, dayNumber: number): number {
  return entryOn(policy, dayNumber).dailyRateFen[category];
}

/** 第四条: the annual cap of a calendar year: the entry in force on its 1 January. */
export function annualCap(policy: Policy, year: number): number {
  return entryOn(policy, dayOfYmd(year, 1, 1)).annualCapNights;
}

let shipped: Policy | undefined;
/** The policy table shipped in data/subsidy-policy.json, validated once. */
export function currentPolicy(): Policy {
  shipped ??= parsePolicy(policyFile);
  return shipped;
}
