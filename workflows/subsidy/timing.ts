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

/**
 * Runs update handlers one at a time, in the order Temporal delivered them, so the item verdicts
 * kept here and the events written by activities always agree.
 */
export { SerialLock } from '../serial-lock';
