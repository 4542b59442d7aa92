import { z } from 'zod';
import policyFile from '../../data/housing-policy.json';
import { CERTIFICATES, type Certificate, type IsoDate, type ListingKind } from './types';

// The dated policy table of the Plan (data/housing-policy.json): every figure that may change by
// date — the area limit, the 80 % threshold, the new-stock ceiling per m², the loan share, the
// deed-tax rate — is data, never a literal in code.

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const certificate = z.enum(CERTIFICATES as [Certificate, ...Certificate[]]);
const entrySchema = z.object({
  effectiveFrom: isoDate,
  basis: z.string().optional(),
  maxFloorAreaDm2: z.number().int().positive(),
  priorityOwnerSharePercent: z.number().int().min(0).max(100),
  newStockCeilingPerM2Fen: z.number().int().positive(),
  loanShareBasisPoints: z.number().int().min(0).max(10_000),
  capitalFallbackAllowed: z.boolean(),
  deedTaxBasisPoints: z.number().int().min(0).max(10_000),
  requiredCertificates: z.object({ new_stock: z.array(certificate).min(1), second_hand: z.array(certificate).min(1) }),
});
const regionSchema = z.object({ code: z.string().min(1), name: z.string().min(1), core: z.boolean() });
const policySchema = z.object({
  version: z.string().min(1),
  source: z.string().optional(),
  selection: z.string().optional(),
  regions: z.array(regionSchema).min(1),
  entries: z.array(entrySchema).min(1),
});

export type HousingPolicyEntry = z.infer<typeof entrySchema>;
export type Region = z.infer<typeof regionSchema>;

export interface HousingPolicy {
  version: string;
  regions: readonly Region[];
  /** Sorted by effectiveFrom. */
  entries: readonly HousingPolicyEntry[];
}

export function parseHousingPolicy(input: unknown): HousingPolicy {
  const result = policySchema.safeParse(input);
  if (!result.success) throw new Error(`invalid housing policy table: ${z.prettifyError(result.error)}`);
  const entries = [...result.data.entries].sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom));
  return { version: result.data.version, regions: result.data.regions, entries };
}

/** The entry in force on a date: the last one starting on or before it; earlier dates use the first. */
export function housingEntryOn(policy: HousingPolicy, date: IsoDate): HousingPolicyEntry {
  let found = policy.entries[0]!;
  for (const entry of policy.entries) if (entry.effectiveFrom <= date) found = entry;
  return found;
}

export function regionOf(policy: HousingPolicy, code: string): Region | undefined {
  return policy.regions.find((region) => region.code === code);
}

export function requiredCertificates(entry: HousingPolicyEntry, kind: ListingKind): readonly Certificate[] {
  return entry.requiredCertificates[kind];
}

let shipped: HousingPolicy | undefined;
/** The table shipped in data/housing-policy.json, validated once. */
export function currentHousingPolicy(): HousingPolicy {
  shipped ??= parseHousingPolicy(policyFile);
  return shipped;
}
