import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { repoRoot } from '../stack/config';

export const workflowsPath = path.join(repoRoot, 'workflows', 'index.ts');

// Everything the workflow bundle can import: a change in any of these makes a new bundle.
const BUNDLE_INPUTS = ['workflows', 'domain', 'data', 'package-lock.json'];

function listFiles(entry: string): string[] {
  const full = path.join(repoRoot, entry);
  if (!existsSync(full)) return [];
  if (statSync(full).isFile()) return [full];
  return readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name))
    .sort();
}

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of BUNDLE_INPUTS.flatMap(listFiles)) {
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
