import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { repoRoot } from '../../platform/config';

export const workflowsPath = path.join(repoRoot, 'app/workflows/index.ts');

// Everything the workflow bundle can import is a source outside these folders (whatever the layout):
// a change in any of them, or in package-lock.json, makes a new bundle.
const NOT_BUNDLED = new Set(['node_modules', '.data', '.git', 'test', 'bench', 'samples', 'out', 'tools']);

function bundleInputs(dir = repoRoot): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && !NOT_BUNDLED.has(entry.name) && !entry.name.startsWith('.'))
      files.push(...bundleInputs(full));
    else if (entry.isFile() && /\.(ts|json)$/.test(entry.name)) files.push(full);
  }
  return files.sort();
}

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of bundleInputs()) {
    hash.update(path.relative(repoRoot, file)).update('\0').update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

let inProcess: Promise<WorkflowBundleWithSourceMap> | undefined;

/**
 * Bundling the workflows with webpack takes seconds; the bundle is cached per process and, when a
 * cache folder is given, on disk keyed by the hash of its sources, so CLI runs start quickly.
 */
export function workflowBundle(cacheDir?: string): Promise<WorkflowBundleWithSourceMap> {
  inProcess ??= (async () => {
    const file = cacheDir ? path.join(cacheDir, `workflow-bundle-${sourceHash()}.json`) : undefined;
    if (file && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as WorkflowBundleWithSourceMap;
    const bundle = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
    if (file && cacheDir) {
      mkdirSync(cacheDir, { recursive: true });
      writeFileSync(file, JSON.stringify(bundle));
    }
    return bundle;
  })();
  return inProcess;
}

const noop = () => {};
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };
