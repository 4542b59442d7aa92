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

const DAY_MS = 86_400_000;

/**
 * doneBefore for a deadline that may move: while it rests on a provisional holiday calendar it is
 * re-read when `changed()` turns true (calendarUpdatedSignal) and at least once a day, so a waiting
 * cycle re-arms its timer on the official dates as soon as the arrangement is imported.
 */
export async function doneBeforeMoving(
  done: () => boolean,
  deadline: () => { at: string; provisional: boolean },
  changed: () => boolean,
  reread: () => Promise<void>,
): Promise<boolean> {
  for (;;) {
    if (done()) return true;
    const { at, provisional } = deadline();
    const ms = Date.parse(at) - Date.now();
    if (ms <= 0) return done();
    await condition(() => done() || changed(), provisional ? Math.min(ms, DAY_MS) : ms);
    if (done()) return true;
    if (changed() || provisional) await reread();
  }
}

/**
 * Runs update handlers one at a time, in the order Temporal delivered them, so the item verdicts
 * kept here and the events written by activities always agree.
 */
export { SerialLock } from '../../platform/temporal/serial-lock';
