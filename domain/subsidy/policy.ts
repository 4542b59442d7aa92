import { z } from 'zod';
import policyFile from '../../data/subsidy-policy.json';
import { dayOf, dayOfYmd } from '../dates';
import type { Category } from './types';

const perCategory = z.object({ one_child_parent: z.number().int(), bereaved: z.number().int(), disabled_child: z.number().int() });
const entrySchema = z.object({
  effectiveFrom: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  dailyRateFen: perCategory.refine((r) => Object.values(r).every((v) => v > 0), 'rates must be positive fen'),
  annualCapNights: z.number().int().positive(),
  ageThresholds: perCategory,
  citySharePercent: z.number().int().min(0).max(100),
});
const policySchema = z.object({
  version: z.string().min(1),
  source: z.string().optional(),
  note: z.string().optional(),
  entries: z.array(entrySchema).min(1),
});

export type PolicyEntry = z.infer<typeof entrySchema>;

/** The dated policy table (第四条/第八条/第十六条): rules that change by date are data. */
export interface Policy {
  version: string;
  entries: readonly (PolicyEntry & { from: number })[];
}

export function parsePolicy(input: unknown): Policy {
  const parsed = policySchema.parse(input);
  const entries = parsed.entries.map((e) => ({ ...e, from: dayOf(e.effectiveFrom) })).sort((a, b) => a.from - b.from);
  return { version: parsed.version, entries };
}

/** The entry in force on a day; days before the first entry use the first (earlier years: same figures). */
export function entryOn(policy: Policy, day: number): PolicyEntry {
  let found = policy.entries[0]!;
  for (const entry of policy.entries) {
    if (entry.from <= day) found = entry;
    else break;
  }
  return found;
}

export function dailyRateFen(policy: Policy, category: Category, day: number): number {
  return entryOn(policy, day).dailyRateFen[category];
}

/** The annual cap of a calendar year: the entry in force on its 1 January (第四条). */
export function annualCap(policy: Policy, year: number): number {
  return entryOn(policy, dayOfYmd(year, 1, 1)).annualCapNights;
}

let current: Policy | undefined;
/** The policy table shipped in data/subsidy-policy.json, validated once. */
export function currentPolicy(): Policy {
  current ??= parsePolicy(policyFile);
  return current;
}
