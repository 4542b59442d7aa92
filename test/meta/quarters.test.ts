import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Test files share one Temporal server, and a cycle's workflow id is its quarter's: two files that
// run a cycle of the same quarter collide (the second start is refused). The quarters a file runs
// (`const quarter = 'YYYYQn'`, `quarter: '…'`, `runCycle('…')`, `cycleIdFor('…')`, `subsidy-cycle-…`,
// `'--quarter', '…'`, `new Drill(name, '…')`) may belong to no other file. The rules core's and the
// auditors' tests use quarters as data only; the stack's tests run servers of their own.
const DATA_ONLY = ['domain', 'audit', 'stack'];
const QUARTER_USE =
  /(?:const quarter = |quarter: |runCycle\(|cycleIdFor\(|'--quarter', |new Drill\('[\w-]+', )'(\d{4}Q[1-4])'|subsidy-cycle-(\d{4}Q[1-4])/g;
const testDir = path.resolve(import.meta.dirname, '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

describe('quarters of the test files', () => {
  it('are never shared by two files', () => {
    const owners = new Map<string, string[]>();
    for (const file of testFiles(testDir)) {
      const text = readFileSync(file, 'utf8');
      const quarters = new Set(
        [...text.matchAll(/const quarter = '(\d{4}Q[1-4])'|new Drill\('[\w-]+', '(\d{4}Q[1-4])'/g)].map(
          (m) => m[1] ?? m[2]!,
        ),
      );
      for (const q of quarters) owners.set(q, [...(owners.get(q) ?? []), path.relative(testDir, file)]);
    }
    const shared = [...owners].filter(([, files]) => files.length > 1);
    expect(shared).toEqual([]);
  });
});
