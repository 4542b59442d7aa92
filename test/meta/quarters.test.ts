import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Test files share one Temporal server, and a cycle's workflow id is its quarter's: two files that
// run a cycle of the same quarter collide (the second start is refused). Each file declares its
// quarter as `const quarter = 'YYYYQn'` (or `new Drill(name, 'YYYYQn')`); no two files may share one.
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
      const quarters = new Set([...text.matchAll(/const quarter = '(\d{4}Q[1-4])'|new Drill\('[\w-]+', '(\d{4}Q[1-4])'/g)].map((m) => m[1] ?? m[2]!));
      for (const q of quarters) owners.set(q, [...(owners.get(q) ?? []), path.relative(testDir, file)]);
    }
    const shared = [...owners].filter(([, files]) => files.length > 1);
    expect(shared).toEqual([]);
  });
});
