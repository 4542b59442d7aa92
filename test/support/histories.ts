import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { repoRoot } from '../../platform/config';

/** Recorded workflow histories, committed and replayed in CI against the current workflow code. */
export const historiesDir = path.join(repoRoot, 'test', 'histories');

export interface RecordedHistory {
  name: string;
  workflowId: string;
  history: temporal.api.history.v1.IHistory;
}

/**
 * Saves a finished workflow's history as test/histories/<name>.json when RECORD_HISTORIES=1 (or when
 * no recording of that name exists yet), so a later change that breaks determinism fails the replay test.
 */
export async function recordHistory(client: Client, workflowId: string, name: string): Promise<void> {
  const file = path.join(historiesDir, `${name}.json`);
  const exists = readdirSync(historiesDir).includes(`${name}.json`);
  if (exists && process.env.RECORD_HISTORIES !== '1') return;
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  mkdirSync(historiesDir, { recursive: true });
  writeFileSync(file, `{"workflowId":${JSON.stringify(workflowId)},"history":${historyToJSON(history)}}\n`);
}

export function loadRecordedHistories(): RecordedHistory[] {
  return readdirSync(historiesDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const raw = JSON.parse(readFileSync(path.join(historiesDir, f), 'utf8')) as {
        workflowId: string;
        history: unknown;
      };
      return { name: f.replace(/\.json$/, ''), workflowId: raw.workflowId, history: historyFromJSON(raw.history) };
    });
}
