import { createHousingActivities, type HousingAdapters, simulatedHousingAdapters } from '../../housing/activities';
import { createSubsidyActivities, type SubsidyDeps } from '../../subsidy/activities';
import { createSystemActivities, type SystemActivityDeps } from './system';

/** What activities need from the outside world; the worker builds it once. */
export type ActivityDeps = SystemActivityDeps &
  SubsidyDeps & {
    /** Appraisal firm, registry and lending bank of the housing purchase; unset: the bundled simulators. */
    housing?: HousingAdapters;
  };

/** Every activity the worker registers. Activities do the I/O; money is computed only in domain/. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createSystemActivities(deps),
    ...createSubsidyActivities(deps),
    ...createHousingActivities({ ...deps, housing: deps.housing ?? simulatedHousingAdapters() }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
