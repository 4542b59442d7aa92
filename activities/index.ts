import { createSystemActivities, type SystemActivityDeps } from './system';

/** What activities need from the outside world; the worker builds it once. */
export type ActivityDeps = SystemActivityDeps;

/** Every activity the worker registers. Activities do the I/O; money is computed only in domain/. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createSystemActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
