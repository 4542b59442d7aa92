import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../../app/worker/bundle';
import { dataConverter } from '../../platform/temporal/client';
import { loadRecordedHistories } from '../support/histories';

// Every history under test/histories/ must replay against today's workflow code: a change that
// would break a running workflow fails here, and must be made with patched().
const histories = loadRecordedHistories();

describe('replay of recorded histories', () => {
  it('has recordings to replay', () => {
    expect(histories.length).toBeGreaterThan(0);
  });

  it.each(histories.map((h) => [h.name, h]))('%s replays deterministically', async (_name, recorded) => {
    await Worker.runReplayHistory(
      { workflowBundle: await workflowBundle(), dataConverter: dataConverter() },
      recorded.history,
      recorded.workflowId,
    );
  });
});
