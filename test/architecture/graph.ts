// The import graph of the repository's TypeScript sources and the rule of direction of ARCHITECTURE.md:
// data ← platform ← {subsidy, housing} ← app ← {bench, test, tools}; simulators use the platform only.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Repo-relative file → the repo-relative files it imports (types included: a type is a dependency too). */
export type ImportGraph = Map<string, Set<string>>;

/** What each part may import besides itself; a part not listed (test, bench, tools, the root's configs) may import all. */
export const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  data: [],
  platform: ['data'],
  simulators: ['platform', 'data'],
  subsidy: ['platform', 'data'],
  housing: ['platform', 'data'],
  app: ['platform', 'data', 'subsidy', 'housing', 'simulators'],
};

const SKIP = new Set(['node_modules', 'histories', 'samples', 'out']);

export function partOf(file: string): string {
  return file.includes('/') ? file.split('/')[0]! : '.';
}

/** One relative import of a source; `typeOnly` when the compiler erases it (`import type`, `export type`, `import('…').T`). */
export interface Specifier {
  spec: string;
  typeOnly: boolean;
}

/** Relative specifiers of one source: import/export … from, import(), import types, vi.mock, require. */
export function specifiersOf(fileName: string, text: string): Specifier[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: Specifier[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ spec: node.moduleSpecifier.text, typeOnly: node.importClause?.isTypeOnly === true });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ spec: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push({ spec: node.argument.literal.text, typeOnly: true });
    } else if (ts.isCallExpression(node) && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      const callee = node.expression.getText(sf);
      if (
        node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        /^(vi\.(mock|doMock)|require(\.resolve)?)$/.test(callee)
      ) {
        found.push({ spec: node.arguments[0].text, typeOnly: false });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found.filter((s) => s.spec.startsWith('.'));
}

function sources(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIP.has(entry.name)) continue;
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...sources(root, rel));
    else if (/\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/**
 * Every import (`imports`: the rule of direction counts types too, a type is a dependency) and the imports that
 * remain at run time (`runtime`: a cycle made only of erased type imports loads nothing twice, so cycles are
 * looked for here).
 */
export function importGraph(root: string): { imports: ImportGraph; runtime: ImportGraph } {
  const imports: ImportGraph = new Map();
  const runtime: ImportGraph = new Map();
  for (const file of sources(root)) {
    const all = new Set<string>();
    const live = new Set<string>();
    for (const { spec, typeOnly } of specifiersOf(file, readFileSync(path.join(root, file), 'utf8'))) {
      const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      const candidates = [base, `${base}.ts`, base.replace(/\.js$/, '.ts'), `${base}/index.ts`];
      const hit = candidates.find((c) => existsSync(path.join(root, c)) && !readdirSafe(path.join(root, c)));
      if (!hit) continue;
      all.add(hit);
      if (!typeOnly) live.add(hit);
    }
    imports.set(file, all);
    runtime.set(file, live);
  }
  return { imports, runtime };
}

function readdirSafe(p: string): boolean {
  try {
    readdirSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Imports that point up (platform → a program, a program → app) or across (housing ↔ subsidy). */
export function directionViolations(graph: ImportGraph): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const allowed = MAY_IMPORT[partOf(from)];
    if (!allowed) continue;
    for (const to of targets) {
      const part = partOf(to);
      if (part !== partOf(from) && !allowed.includes(part)) out.push(`${from} → ${to}`);
    }
  }
  return out.sort();
}

/** Strongly connected components with more than one node (or a node importing itself): every cycle. */
export function cycles(edges: Map<string, Set<string>>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const onStack = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const connect = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || edges.get(v)?.has(v)) found.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) connect(v);
  return found;
}

/** The folder graph: a folder imports another when one of its files imports one of the other's. */
export function folderGraph(graph: ImportGraph): Map<string, Set<string>> {
  const folders = new Map<string, Set<string>>();
  for (const [from, targets] of graph) {
    const a = path.posix.dirname(from);
    const set = folders.get(a) ?? new Set<string>();
    folders.set(a, set);
    for (const to of targets) {
      const b = path.posix.dirname(to);
      if (b !== a) set.add(b);
    }
  }
  return folders;
}
