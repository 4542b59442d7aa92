import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { expect, it } from 'vitest';
import { repoRoot } from '../../platform/config';
import { dataConverter } from '../../platform/temporal/client';
import { loadRecordedHistories } from '../support/histories';

// The replay test is only worth having if it fails on a change that would break running workflows.
it('replaying a recorded history against a non-deterministic change fails', async () => {
  const recorded = loadRecordedHistories().find((h) => h.name === 'system-check')!;
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: path.join(repoRoot, 'test/fixtures/nondeterministic/workflows.ts'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  await expect(
    Worker.runReplayHistory({ workflowBundle, dataConverter: dataConverter() }, recorded.history, recorded.workflowId),
  ).rejects.toBeInstanceOf(DeterminismViolationError);
});
