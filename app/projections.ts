import { housingProjection } from '../housing/projection/projection';
import type { Projection } from '../platform/eventstore';
import { subsidyProjection } from '../subsidy/projection/projection';

/**
 * Every projection that keeps a query table in step with the events. The live store applies them
 * on append; the auditors' rebuild replays all events through the same list into a fresh schema.
 */
export const allProjections: readonly Projection[] = [subsidyProjection, housingProjection];
