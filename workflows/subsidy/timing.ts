import { condition } from '@temporalio/workflow';

/**
 * Waits until `done()` holds or the ISO instant passes; true when done. Date.now() is workflow time
 * here, so this is deterministic; a deadline already past is checked at once.
 */
export async function doneBefore(done: () => boolean, deadlineIso: string): Promise<boolean> {
  const ms = Date.parse(deadlineIso) - Date.now();
  if (ms <= 0) return done();
  return condition(done, ms);
}

// Shared with the housing workflows; kept exported here for the subsidy's own imports.
export { SerialLock } from '../serial-lock';
