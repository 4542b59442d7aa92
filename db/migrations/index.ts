import type { Migration } from 'kysely';
import * as eventStore from './0001_event_store';
import * as subsidy from './0002_subsidy';
import * as housing from './0003_housing';
import * as rosterRules from './0006_roster_rules';

/** Every migration, in order. Names are permanent: a shipped migration is never edited, only followed. */
export const migrations: Record<string, Migration> = {
  '0001_event_store': eventStore,
  '0002_subsidy': subsidy,
  '0003_housing': housing,
  '0006_roster_rules': rosterRules,
};
