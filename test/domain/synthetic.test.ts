import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSyntheticSubsidyData } from '../../bench/synthetic';
import { readRecords } from '../../subsidy/adapters/files';
import { checkIdNumber, computeCycleFromRecords, type RawRecord, reconciles } from '../../subsidy/rules';
import { policy } from './fixtures';

async function records(file: string, schema: 'roster' | 'hospitalizations'): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for await (const { record } of readRecords(file, 'csv', schema)) out.push(record);
  return out;
}

describe('synthetic Xuchang data (bench/synthetic.ts)', () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'domain-synthetic-'));

  it('is deterministic for a seed, and the roster is the same for every quarter', async () => {
    const a = await writeSyntheticSubsidyData({
      dir: path.join(base, 'a'),
      quarter: '2025Q3',
      rows: 2_000,
      rosterSize: 300,
      seed: 42,
    });
    const b = await writeSyntheticSubsidyData({
      dir: path.join(base, 'b'),
      quarter: '2025Q3',
      rows: 2_000,
      rosterSize: 300,
      seed: 42,
    });
    const c = await writeSyntheticSubsidyData({
      dir: path.join(base, 'c'),
      quarter: '2025Q4',
      rows: 2_000,
      rosterSize: 300,
      seed: 42,
    });
    expect(readFileSync(a.hospitalizations)).toEqual(readFileSync(b.hospitalizations));
    expect(readFileSync(a.roster)).toEqual(readFileSync(c.roster));
    expect(readFileSync(a.hospitalizations)).not.toEqual(readFileSync(c.hospitalizations));
  });

  it('has valid GB 11643 numbers with Xuchang prefixes when no bad rows are asked for', async () => {
    const files = await writeSyntheticSubsidyData({
      dir: path.join(base, 'clean'),
      quarter: '2025Q3',
      rows: 3_000,
      rosterSize: 500,
      seed: 7,
      badShare: 0,
    });
    const ids = [
      ...(await records(files.roster, 'roster')),
      ...(await records(files.hospitalizations, 'hospitalizations')),
    ].map((r) => r.id_number!);
    for (const id of ids) {
      expect(checkIdNumber(id).ok).toBe(true);
      expect(id.startsWith('4110')).toBe(true);
    }
    const result = computeCycleFromRecords({
      rosterRecords: await records(files.roster, 'roster'),
      stayRecords: await records(files.hospitalizations, 'hospitalizations'),
      today: '2025-10-10',
      quarter: '2025Q3',
      policy,
    });
    expect(result.rosterQuarantined).toEqual([]);
    expect(result.counts.quarantined).toBe(0);
  });

  it('covers every quarantine kind and every kind of outcome, and the counts reconcile', async () => {
    const files = await writeSyntheticSubsidyData({
      dir: path.join(base, 'bad'),
      quarter: '2026Q1',
      rows: 6_000,
      rosterSize: 600,
      seed: 9,
      badShare: 0.2,
    });
    const result = computeCycleFromRecords({
      rosterRecords: await records(files.roster, 'roster'),
      stayRecords: await records(files.hospitalizations, 'hospitalizations'),
      today: '2026-04-10',
      quarter: '2026Q1',
      policy,
    });
    expect(reconciles(result.counts)).toBe(true);
    // Repeated record ids are there too; ingest's SQL classifies them (test/subsidy/duplicates.test.ts).
    const recordIds = result.report.map((r) => r.recordId);
    expect(new Set(recordIds).size).toBeLessThan(recordIds.length);
    const reasons = new Set(result.report.map((r) => r.reason));
    for (const reason of [
      'bad_id_checksum',
      'bad_id_format',
      'impossible_date',
      'discharge_before_admission',
      'future_date',
      'missing_field',
      'unknown_exclusion',
      'not_on_roster',
      'overlap',
      'abroad',
    ]) {
      expect(reasons, reason).toContain(reason);
    }
    expect(new Set(result.rosterQuarantined.map((r) => r.reason))).toEqual(
      new Set([
        'bad_id_checksum',
        'unknown_jurisdiction',
        'unknown_category',
        'impossible_date',
        'missing_field',
        'id_birth_mismatch',
      ]),
    );
    expect(result.payments.some((p) => p.kind === 'back_pay')).toBe(true);
    expect(
      result.report.some(
        (r) => r.outcome === 'paid' && r.explanation.some((l) => l.kind === 'counted' && l.splitYear !== null),
      ),
    ).toBe(true); // a stay across 31 December
  });
});
