import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycles, directionViolations, folderGraph, type ImportGraph, importGraph, specifiersOf } from './graph';

const root = path.resolve(import.meta.dirname, '../..');

function graphOf(edges: Record<string, string[]>): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const [from, targets] of Object.entries(edges)) {
    graph.set(from, new Set(targets));
    for (const t of targets) if (!graph.has(t)) graph.set(t, new Set());
  }
  return graph;
}

describe('the import-graph rules catch what they must (in-memory graphs)', () => {
  it('an import pointing up or across is a violation; down and within a part is not', () => {
    const graph = graphOf({
      'platform/db/database.ts': ['subsidy/rules/compute.ts', 'platform/config.ts', 'data/jurisdictions.json'],
      'subsidy/api/routes.ts': ['app/api/server.ts', 'platform/http/auth.ts', 'subsidy/contracts/definitions.ts'],
      'housing/workflows/listing.ts': ['subsidy/workflows/timing.ts', 'platform/temporal/serial-lock.ts'],
      'app/stack/stack.ts': [
        'subsidy/activities/index.ts',
        'housing/activities/index.ts',
        'simulators/bank-gateway/index.ts',
      ],
      'simulators/bank-gateway/server.ts': ['app/stack/config.ts'],
      'test/subsidy/cycle.test.ts': ['app/stack/stack.ts', 'bench/synthetic.ts'],
    });
    expect(directionViolations(graph)).toEqual([
      'housing/workflows/listing.ts → subsidy/workflows/timing.ts',
      'platform/db/database.ts → subsidy/rules/compute.ts',
      'simulators/bank-gateway/server.ts → app/stack/config.ts',
      'subsidy/api/routes.ts → app/api/server.ts',
    ]);
  });

  it('a cycle of files and a cycle of folders are found; a chain is not a cycle', () => {
    const files = graphOf({
      'app/a.ts': ['app/b.ts'],
      'app/b.ts': ['app/c.ts'],
      'app/c.ts': ['app/a.ts'],
      'app/d.ts': ['app/a.ts'],
    });
    expect(cycles(files)).toEqual([['app/a.ts', 'app/b.ts', 'app/c.ts']]);
    // no file cycle, but subsidy/x and subsidy/y import each other
    const folders = graphOf({ 'subsidy/x/one.ts': ['subsidy/y/two.ts'], 'subsidy/y/three.ts': ['subsidy/x/four.ts'] });
    expect(cycles(folders)).toEqual([]);
    expect(cycles(folderGraph(folders))).toEqual([['subsidy/x', 'subsidy/y']]);
    expect(cycles(graphOf({ 'a/x.ts': ['b/y.ts'], 'b/y.ts': ['c/z.ts'] }))).toEqual([]);
  });

  it('type imports, re-exports, import() and import types count as imports; erased ones are marked', () => {
    const source = [
      "import type { Actor } from '../contracts/definitions';",
      "import { type Stage, STAGE } from '../../platform/temporal/search-attributes';",
      "export * from './rules';",
      "const later = await import('../../app/stack/stack');",
      "type Deps = import('./deps').Deps;",
      "import { z } from 'zod';",
    ].join('\n');
    expect(specifiersOf('subsidy/api/routes.ts', source)).toEqual([
      { spec: '../contracts/definitions', typeOnly: true },
      { spec: '../../platform/temporal/search-attributes', typeOnly: false },
      { spec: './rules', typeOnly: false },
      { spec: '../../app/stack/stack', typeOnly: false },
      { spec: './deps', typeOnly: true },
    ]);
  });
});

describe('the repository follows the rule of direction', () => {
  const { imports, runtime } = importGraph(root);

  it('reads the sources', () => {
    expect(imports.size).toBeGreaterThan(100);
  });

  it('no import, types included, points up (platform → program, program → app) or across programs', () => {
    expect(directionViolations(imports)).toEqual([]);
  });

  // Types included: a circle of `import type` loads nothing twice, but a reader still cannot start anywhere.
  it('no cycle of files, not even through type imports', () => {
    expect(cycles(imports)).toEqual([]);
  });

  // A parent folder's server hands its route folders their deps type (app/api/deps.ts): a type-only edge up.
  it('no cycle of folders among run-time imports', () => {
    expect(cycles(folderGraph(runtime))).toEqual([]);
  });
});
