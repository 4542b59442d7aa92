// Moves a tree in the old layer-by-folder layout (domain/, workflows/, activities/, projections/, stack/, …) to the
// layout by feature (platform/, subsidy/, housing/, app/; see tools/relayout/ARCHITECTURE.md), and fixes every path
// that names a moved file. Deterministic and idempotent: run it on merged main, run it again and it changes nothing.
//
//   npx tsx tools/relayout.ts            move, rewrite, drop in the docs, format (biome)
//   npx tsx tools/relayout.ts --dry-run  print the moves only
//
// Steps: (1) map every tracked file by the ordered RULES below (first match wins; a new file in an old folder lands by
// its folder's rule); (2) with the TypeScript parser, rewrite every relative specifier (import/export, import(),
// import types, vi.mock, require.resolve, new URL(…, import.meta.url)) and every string naming a moved file or folder
// (path.join(repoRoot, 'cli', 'main.ts'), 'test/…' fixtures); an import the new layout forbids (a program importing
// app/ or the other program) is pointed at the file that declares the names when the target only re-exports them;
// (3) `git mv`; (4) the same path fixes in package.json, Dockerfile, compose, .ci/run and Markdown; (5) the docs of
// the new layout; (6) `npm test` gains `biome check .`; (7) `biome check --write` formats the moved tree.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const posix = path.posix;

/**
 * Ordered rules: `from` is a file, a folder (`x/`, recursive) or a folder's direct files (`x/*`). First match wins.
 * Direction (tools/relayout/ARCHITECTURE.md): data ← platform ← {subsidy, housing} ← app ← {bench, test, tools}.
 */
export const RULES: readonly { from: string; to: string }[] = [
  // platform: configuration, database, event store, security, Temporal client; imports nothing above it
  { from: 'stack/config.ts', to: 'platform/config.ts' },
  { from: 'stack/pii-key.ts', to: 'platform/security/pii-key.ts' },
  { from: 'stack/temporal-client.ts', to: 'platform/temporal/client.ts' },
  { from: 'workflows/search-attributes.ts', to: 'platform/temporal/search-attributes.ts' },
  { from: 'workflows/serial-lock.ts', to: 'platform/temporal/serial-lock.ts' },
  { from: 'activities/context.ts', to: 'platform/temporal/activity-context.ts' },
  { from: 'api/auth.ts', to: 'platform/http/auth.ts' },
  { from: 'api/query-params.ts', to: 'platform/http/query-params.ts' },
  { from: 'db/', to: 'platform/db/' },
  { from: 'eventstore/', to: 'platform/eventstore/' },
  { from: 'security/', to: 'platform/security/' },
  { from: 'adapters/bank/', to: 'platform/adapters/bank/' },
  // GB 11643 resident ID numbers: the subsidy's beneficiaries and the housing purchase's sellers
  { from: 'domain/subsidy/id-number.ts', to: 'platform/common/resident-id.ts' },
  // the working-day calendar carries the subsidy's 第十条 deadlines and quarters
  { from: 'domain/calendar.ts', to: 'subsidy/rules/calendar.ts' },
  { from: 'domain/README.md', to: 'subsidy/rules/README.md' },
  // shared pure helpers (dates, money, …) both programs may use
  { from: 'domain/*', to: 'platform/common/' },

  // the hospital nursing subsidy
  { from: 'domain/subsidy/', to: 'subsidy/rules/' },
  { from: 'workflows/subsidy/definitions.ts', to: 'subsidy/contracts/definitions.ts' },
  { from: 'projections/subsidy/events.ts', to: 'subsidy/contracts/events.ts' },
  { from: 'workflows/subsidy/', to: 'subsidy/workflows/' },
  // the deps and event helpers of the program's activities, services and adapters alike
  { from: 'activities/subsidy/context.ts', to: 'subsidy/context.ts' },
  { from: 'activities/subsidy/uploads.ts', to: 'subsidy/adapters/uploads.ts' },
  { from: 'activities/subsidy/roster.ts', to: 'subsidy/services/roster.ts' },
  { from: 'activities/subsidy/reports.ts', to: 'subsidy/services/reports.ts' },
  { from: 'activities/subsidy/self-application.ts', to: 'subsidy/services/self-application.ts' },
  { from: 'activities/subsidy/', to: 'subsidy/activities/' },
  { from: 'projections/subsidy/', to: 'subsidy/projection/' },
  { from: 'adapters/files/', to: 'subsidy/adapters/files/' },
  { from: 'api/routes/subsidy.ts', to: 'subsidy/api/routes.ts' },

  // purchases of existing housing
  { from: 'domain/housing/events.ts', to: 'housing/contracts/events.ts' },
  { from: 'domain/housing/', to: 'housing/rules/' },
  { from: 'workflows/housing/definitions.ts', to: 'housing/contracts/definitions.ts' },
  { from: 'workflows/housing/', to: 'housing/workflows/' },
  { from: 'activities/housing/context.ts', to: 'housing/context.ts' },
  { from: 'activities/housing/intake.ts', to: 'housing/services/intake.ts' },
  { from: 'activities/housing/starter.ts', to: 'housing/services/starter.ts' },
  { from: 'activities/housing/', to: 'housing/activities/' },
  { from: 'projections/housing.ts', to: 'housing/projection/projection.ts' },
  { from: 'projections/housing/', to: 'housing/projection/' },
  { from: 'adapters/appraisal/', to: 'housing/adapters/appraisal/' },
  { from: 'adapters/registry/', to: 'housing/adapters/registry/' },
  { from: 'adapters/lending/', to: 'housing/adapters/lending/' },
  // the journal of the in-process housing simulators, which live in the adapters
  { from: 'simulators/housing-state.ts', to: 'housing/adapters/simulator-state.ts' },
  { from: 'api/routes/housing.ts', to: 'housing/api/routes.ts' },

  // app: wires the programs over the platform (stack, worker, API server, CLI, audit tools); the entry points sit
  // above the stack that assembles the worker and the API server
  { from: 'api/main.ts', to: 'app/main/api.ts' },
  { from: 'worker/main.ts', to: 'app/main/worker.ts' },
  { from: 'cli/main.ts', to: 'app/main/cli.ts' },
  { from: 'projections/index.ts', to: 'app/projections.ts' },
  { from: 'projections/', to: 'app/projections/' },
  { from: 'workflows/', to: 'app/workflows/' },
  { from: 'activities/', to: 'app/activities/' },
  { from: 'adapters/', to: 'platform/adapters/' },
  { from: 'api/', to: 'app/api/' },
  { from: 'cli/', to: 'app/cli/' },
  { from: 'stack/', to: 'app/stack/' },
  { from: 'worker/', to: 'app/worker/' },
  { from: 'audit/', to: 'app/audit/' },
];

/** The new path of a repo-relative file path (unchanged when no rule applies). */
export function mapFile(file: string): string {
  for (const { from, to } of RULES) {
    if (from.endsWith('/*')) {
      const dir = from.slice(0, -1);
      if (file.startsWith(dir) && !file.slice(dir.length).includes('/')) return to + file.slice(dir.length);
    } else if (from.endsWith('/')) {
      if (file.startsWith(from)) return to + file.slice(from.length);
    } else if (file === from) return to;
  }
  return file;
}

/** The new path of a folder named in code or docs, when one rule moves it whole. */
function mapFolder(dir: string): string | undefined {
  const d = dir.replace(/\/$/, '');
  if (!files.some((f) => f.startsWith(`${d}/`))) return undefined; // not an old folder (any more)
  for (const { from, to } of RULES) {
    if (from === `${d}/` || from === `${d}/*`) return to.replace(/\/$/, '');
  }
  return undefined;
}

/** Which part of the new layout a path is in: the direction rule's unit. */
export function partOf(file: string): string {
  const top = file.split('/')[0]!;
  return file.includes('/') ? top : '.';
}

/** May a file in part `from` import one in part `to`? (The import-graph test checks the same rule.) */
export function mayImport(from: string, to: string): boolean {
  const order: Record<string, string[]> = {
    data: [],
    platform: ['data'],
    simulators: ['platform', 'data'],
    subsidy: ['platform', 'data'],
    housing: ['platform', 'data'],
    app: ['platform', 'data', 'subsidy', 'housing', 'simulators'],
  };
  const allowed = order[from];
  return from === to || allowed === undefined || allowed.includes(to);
}

const CODE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SELF = (f: string) => f === 'tools/relayout.ts' || f.startsWith('tools/relayout/');
const TEXT_FILES = ['package.json', 'tsconfig.json', 'Dockerfile', 'docker-compose.yml', '.ci/run', '.dockerignore'];

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
}

const files = git('ls-files', '-z')
  .split('\0')
  .filter((f) => f && existsSync(path.join(root, f)));
const tracked = new Set(files);
const moves = new Map(files.map((f) => [f, mapFile(f)] as const).filter(([a, b]) => a !== b));
const newOf = (f: string) => moves.get(f) ?? f;

function resolveOld(
  fromFile: string,
  spec: string,
): { target: string; style: 'exact' | 'noext' | 'index' | 'js' | 'dir' } | undefined {
  const base = posix.normalize(posix.join(posix.dirname(fromFile), spec)).replace(/\/$/, '');
  if (tracked.has(base)) return { target: base, style: 'exact' };
  if (tracked.has(`${base}.ts`)) return { target: `${base}.ts`, style: 'noext' };
  if (base.endsWith('.js') && tracked.has(base.replace(/\.js$/, '.ts')))
    return { target: base.replace(/\.js$/, '.ts'), style: 'js' };
  if (tracked.has(`${base}/index.ts`)) return { target: `${base}/index.ts`, style: 'index' };
  if (files.some((f) => f.startsWith(`${base}/`)) || base === '.' || base.startsWith('..'))
    return { target: base, style: 'dir' };
  return undefined;
}

function specifier(fromNew: string, targetNew: string, style: string, oldSpec: string): string {
  let target = targetNew;
  if (style === 'noext') target = target.replace(/\.ts$/, '');
  if (style === 'js') target = target.replace(/\.ts$/, '.js');
  if (style === 'index')
    target = target.endsWith('/index.ts') ? target.slice(0, -'/index.ts'.length) : target.replace(/\.ts$/, '');
  let rel = posix.relative(posix.dirname(fromNew), target) || '.';
  if (!rel.startsWith('.')) rel = `./${rel}`;
  if (oldSpec.endsWith('/') && !rel.endsWith('/')) rel += '/';
  return rel;
}

function mapDirOrFile(p: string): string {
  return tracked.has(p) ? newOf(p) : (mapFolder(p) ?? p);
}

// ---- re-export following, for imports the new layout forbids -------------------------------------------------------
const parsed = new Map<string, ts.SourceFile>();
function parse(file: string): ts.SourceFile {
  let sf = parsed.get(file);
  if (!sf) {
    sf = ts.createSourceFile(file, readFileSync(path.join(root, file), 'utf8'), ts.ScriptTarget.Latest, true);
    parsed.set(file, sf);
  }
  return sf;
}

function declares(sf: ts.SourceFile, name: string): boolean {
  for (const st of sf.statements) {
    const exported =
      ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (exported) {
      if (ts.isVariableStatement(st)) {
        if (st.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === name)) return true;
      } else if (
        'name' in st &&
        st.name &&
        ts.isIdentifier(st.name as ts.Node) &&
        (st.name as ts.Identifier).text === name
      )
        return true;
    }
    if (ts.isExportDeclaration(st) && !st.moduleSpecifier && st.exportClause && ts.isNamedExports(st.exportClause)) {
      if (st.exportClause.elements.some((e) => e.name.text === name)) return true;
    }
  }
  return false;
}

/** The file that declares `name` as exported by `file`, following `export … from`. */
function originOf(file: string, name: string, depth = 0): { file: string; name: string } | undefined {
  if (depth > 10 || !file.endsWith('.ts')) return undefined;
  const sf = parse(file);
  if (declares(sf, name)) return { file, name };
  for (const st of sf.statements) {
    if (!ts.isExportDeclaration(st) || !st.moduleSpecifier || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const r = resolveOld(file, st.moduleSpecifier.text);
    if (!r || r.style === 'dir') continue;
    if (st.exportClause && ts.isNamedExports(st.exportClause)) {
      const el = st.exportClause.elements.find((e) => e.name.text === name);
      if (el) return originOf(r.target, (el.propertyName ?? el.name).text, depth + 1);
    } else if (!st.exportClause) {
      const found = originOf(r.target, name, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/** An import of several names from a module the importer may not use, split into imports from where each is declared. */
function redirect(file: string, decl: ts.ImportDeclaration, target: string): string | undefined {
  const clause = decl.importClause;
  if (!clause || clause.name || !clause.namedBindings || !ts.isNamedImports(clause.namedBindings)) return undefined;
  const fromNew = newOf(file);
  const groups = new Map<string, string[]>();
  for (const el of clause.namedBindings.elements) {
    const origin = originOf(target, (el.propertyName ?? el.name).text);
    if (!origin || !mayImport(partOf(fromNew), partOf(newOf(origin.file)))) return undefined;
    const local = el.name.text;
    const text = `${el.isTypeOnly ? 'type ' : ''}${origin.name === local ? local : `${origin.name} as ${local}`}`;
    groups.set(origin.file, [...(groups.get(origin.file) ?? []), text]);
  }
  return [...groups]
    .map(([origin, names]) => {
      const spec = specifier(fromNew, newOf(origin), 'noext', '');
      return `import ${clause.isTypeOnly ? 'type ' : ''}{ ${names.join(', ')} } from '${spec}';`;
    })
    .join('\n');
}

// ---- rewriting code --------------------------------------------------------------------------------------------------
type Edit = { start: number; end: number; text: string; note?: string };
const notes: string[] = [];

/** A string naming a moved file or folder; a bare name (`'domain'`) only as an argument of path.join/resolve. */
function pathLiteral(value: string, bare = false): string | undefined {
  const clean = value.replace(/^\.\//, '');
  if (!bare && !clean.includes('/') && !CODE.test(clean)) return undefined;
  if (moves.has(clean)) return moves.get(clean);
  const folder = mapFolder(clean);
  return folder && folder !== clean ? folder + (clean.endsWith('/') ? '/' : '') : undefined;
}

function rewriteCode(file: string): string | undefined {
  const sf = parse(file);
  const text = sf.text;
  const fromNew = newOf(file);
  const edits: Edit[] = [];
  const quote = (lit: ts.Node) => text[lit.getStart(sf)]!;

  const relink = (lit: ts.StringLiteralLike, asDirOk: boolean) => {
    const spec = lit.text;
    if (!spec.startsWith('.')) return;
    const r = resolveOld(file, spec);
    if (!r) {
      notes.push(`${file}: cannot resolve '${spec}' (left as is)`);
      return;
    }
    if (r.style === 'dir' && !asDirOk) return;
    const targetNew = r.style === 'dir' ? mapDirOrFile(r.target) : newOf(r.target);
    const next = specifier(fromNew, targetNew, r.style, spec);
    if (next !== spec)
      edits.push({ start: lit.getStart(sf), end: lit.getEnd(), text: `${quote(lit)}${next}${quote(lit)}` });
  };

  const visit = (node: ts.Node): void => {
    if (
      ts.isImportDeclaration(node) &&
      ts.isStringLiteral(node.moduleSpecifier) &&
      node.moduleSpecifier.text.startsWith('.')
    ) {
      const r = resolveOld(file, node.moduleSpecifier.text);
      if (r && r.style !== 'dir' && !mayImport(partOf(fromNew), partOf(newOf(r.target)))) {
        const split = redirect(file, node, r.target);
        if (split) {
          edits.push({ start: node.getStart(sf), end: node.getEnd(), text: split });
          notes.push(`${file}: import from ${r.target} pointed at the declaring files`);
          return;
        }
      }
      relink(node.moduleSpecifier, false);
      return;
    }
    if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      relink(node.moduleSpecifier, false);
      return;
    }
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      relink(node.argument.literal, false);
    }
    if (ts.isCallExpression(node)) {
      const callee = node.expression.getText(sf);
      const first = node.arguments[0];
      if (first && ts.isStringLiteralLike(first)) {
        if (
          node.expression.kind === ts.SyntaxKind.ImportKeyword ||
          /^(vi\.(mock|doMock|unmock|importActual|importMock)|require(\.resolve)?)$/.test(callee)
        ) {
          relink(first, false);
          ts.forEachChild(node, visit);
          return;
        }
      }
      // path.join(repoRoot, 'cli', 'main.ts'): the literal arguments after the first name a repo path
      if (/^(path\.)?(join|resolve)$/.test(callee)) {
        const args = node.arguments;
        let i = args.length;
        while (i > 0 && ts.isStringLiteralLike(args[i - 1]!)) i--;
        const literals = args.slice(i) as unknown as ts.StringLiteralLike[];
        const dirArg = i > 0 ? args[i - 1]!.getText(sf) : '';
        if (literals.length > 0 && !/import\.meta\.dirname|__dirname/.test(dirArg)) {
          const joined = posix.join(...literals.map((l) => l.text));
          const next = pathLiteral(joined, i > 0);
          if (next) {
            const q = quote(literals[0]!);
            edits.push({ start: literals[0]!.getStart(sf), end: literals.at(-1)!.getEnd(), text: `${q}${next}${q}` });
            return;
          }
        }
        if (literals.length > 0 && /import\.meta\.dirname|__dirname/.test(dirArg)) {
          for (const l of literals) if (l.text.startsWith('.')) relink(l, true);
          return;
        }
      }
    }
    if (ts.isNewExpression(node) && node.expression.getText(sf) === 'URL' && node.arguments?.length === 2) {
      const [first, second] = node.arguments;
      if (ts.isStringLiteralLike(first!) && second!.getText(sf) === 'import.meta.url') {
        relink(first, true);
        return;
      }
    }
    if (ts.isStringLiteralLike(node) && !ts.isImportTypeNode(node.parent) && !ts.isLiteralTypeNode(node.parent)) {
      const next = pathLiteral(node.text);
      if (next)
        edits.push({ start: node.getStart(sf), end: node.getEnd(), text: `${quote(node)}${next}${quote(node)}` });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  for (const [start, end] of commentRanges(sf)) {
    const comment = text.slice(start, end);
    const next = replacePaths(comment);
    if (next !== comment && !edits.some((e) => e.start < end && start < e.end)) edits.push({ start, end, text: next });
  }
  if (edits.length === 0) return undefined;
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

function commentRanges(sf: ts.SourceFile): [number, number][] {
  const seen = new Map<number, number>();
  const collect = (ranges: ts.CommentRange[] | undefined) => {
    for (const r of ranges ?? []) seen.set(r.pos, r.end);
  };
  const walk = (node: ts.Node): void => {
    collect(ts.getLeadingCommentRanges(sf.text, node.pos));
    collect(ts.getTrailingCommentRanges(sf.text, node.end));
    ts.forEachChild(node, walk);
  };
  walk(sf);
  return [...seen];
}

// ---- rewriting text (scripts, compose, Dockerfile, docs) --------------------------------------------------------------
function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const byLength = [...moves].sort((a, b) => b[0].length - a[0].length);
/** Every moved file's old path in `text` (a whole path, not the tail of a longer one) → its new path. */
function replacePaths(text: string): string {
  let out = text;
  for (const [from, to] of byLength) {
    out = out.replace(new RegExp(`(?<![\\w./-])${escapeRegExp(from)}(?![\\w/-])`, 'g'), to);
  }
  return out;
}

function rewriteText(file: string, markdown: boolean): string | undefined {
  const text = readFileSync(path.join(root, file), 'utf8');
  let out = replacePaths(text);
  if (markdown) {
    // `domain/subsidy`, `workflows/subsidy/` in backticks: folders moved whole
    out = out.replace(/`([a-z][\w-]*(?:\/[\w.-]+)+)\/?`/g, (all, p: string) => {
      const folder = mapFolder(p);
      return folder ? all.replace(p, folder) : all;
    });
  }
  return out === text ? undefined : out;
}

// ---- run -------------------------------------------------------------------------------------------------------------
const dryRun = process.argv.includes('--dry-run');
for (const [from, to] of moves) console.log(`move ${from} -> ${to}`);
if (moves.size === 0) console.log('nothing to move: the tree is in the new layout');
if (dryRun) process.exit(0);

const rewritten = new Map<string, string>();
for (const f of files) {
  if (SELF(f) || f.startsWith('test/histories/') || f.includes('node_modules/')) continue;
  if (CODE.test(f)) {
    const out = rewriteCode(f);
    if (out !== undefined) rewritten.set(f, out);
  } else if (TEXT_FILES.includes(f) || f.endsWith('.md')) {
    const out = rewriteText(f, f.endsWith('.md'));
    if (out !== undefined) rewritten.set(f, out);
  }
}

for (const [from, to] of moves) {
  mkdirSync(path.dirname(path.join(root, to)), { recursive: true });
  git('mv', from, to);
}
for (const [f, content] of rewritten) {
  writeFileSync(path.join(root, newOf(f)), content);
  console.log(`rewrote paths in ${newOf(f)}`);
}
for (const n of notes) console.log(`note: ${n}`);

// Docs of the new layout.
const docs = path.join(root, 'tools/relayout');
const architecture = readFileSync(path.join(docs, 'ARCHITECTURE.md'), 'utf8');
if (readFileSync(path.join(root, 'ARCHITECTURE.md'), 'utf8') !== architecture) {
  writeFileSync(path.join(root, 'ARCHITECTURE.md'), architecture);
  console.log('wrote ARCHITECTURE.md');
}
const layout = readFileSync(path.join(docs, 'README-layout.md'), 'utf8').trimEnd();
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const section = /^## Layout\n[\s\S]*?(?=^## |(?![\s\S]))/m;
let nextReadme: string;
if (section.test(readme)) nextReadme = readme.replace(section, `${layout}\n\n`);
else if (/^## Tests$/m.test(readme)) nextReadme = readme.replace(/^## Tests$/m, `${layout}\n\n## Tests`);
else nextReadme = `${readme.trimEnd()}\n\n${layout}\n`;
nextReadme = `${nextReadme.trimEnd()}\n`;
if (nextReadme !== readme) {
  writeFileSync(path.join(root, 'README.md'), nextReadme);
  console.log('wrote the Layout section of README.md');
}

// npm test runs the formatter and linter too.
const pkgFile = path.join(root, 'package.json');
const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { scripts: Record<string, string> };
if (!pkg.scripts.test?.includes('biome check')) {
  pkg.scripts.test = (pkg.scripts.test ?? 'vitest run').replace(
    'tsc --noEmit && ',
    'tsc --noEmit && biome check . && ',
  );
  if (!pkg.scripts.test.includes('biome check')) pkg.scripts.test = `biome check . && ${pkg.scripts.test}`;
  writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
  console.log(`package.json: "test": "${pkg.scripts.test}"`);
}

// Format the moved tree and apply the linter's safe fixes. Biome's formatter settles some chains on a second pass:
// write until the check is clean (at most three passes), then show the remaining warnings.
const biome = path.join(root, 'node_modules/.bin/biome');
const clean = () => {
  try {
    execFileSync(biome, ['check', '--diagnostic-level=error', '.'], { cwd: root, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
for (let pass = 0; pass < 3 && !clean(); pass++) {
  try {
    execFileSync(biome, ['check', '--write', '--diagnostic-level=error', '.'], { cwd: root, stdio: 'ignore' });
  } catch {
    // findings a safe fix cannot settle: reported below
  }
}
try {
  execFileSync(biome, ['check', '--diagnostic-level=warn', '--max-diagnostics=50', '.'], {
    cwd: root,
    stdio: 'inherit',
  });
  console.log('formatted: biome check . is clean');
} catch {
  console.log('biome check . still reports errors (above): fix them in the moved tree');
  process.exitCode = 1;
}
