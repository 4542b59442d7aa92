import type { Migration } from 'kysely';
import * as eventStore from './0001_event_store';
import * as subsidy from './0002_subsidy';
import * as housing from './0003_housing';
import * as paymentSafety from './0004_payment_safety';
import * as uploads from './0005_uploads';
import * as rosterRules from './0006_roster_rules';
import * as housingIdentity from './0007_housing_identity';
import * as consoleUsers from './0008_console_users';
import * as cycleScale from './0010_cycle_scale';
import * as correctedNights from './0011_corrected_nights';
import * as rosterOpenEntry from './0012_roster_open_entry';
import * as eventsCanonicalText from './0013_events_canonical_text';
import * as entitlementsFillfactor from './0014_entitlements_fillfactor';
import * as bulkLoadCosts from './0015_bulk_load_costs';
import * as eventsUncompressed from './0016_events_uncompressed';

/** Every migration, in order. Names are permanent: a shipped migration is never edited, only followed. */
export const migrations: Record<string, Migration> = {
  '0001_event_store': eventStore,
  '0002_subsidy': subsidy,
  '0003_housing': housing,
  '0004_payment_safety': paymentSafety,
  '0005_uploads': uploads,
  '0006_roster_rules': rosterRules,
  '0007_housing_identity': housingIdentity,
  '0008_console_users': consoleUsers,
  '0010_cycle_scale': cycleScale,
  '0011_corrected_nights': correctedNights,
  '0012_roster_open_entry': rosterOpenEntry,
  '0013_events_canonical_text': eventsCanonicalText,
  '0014_entitlements_fillfactor': entitlementsFillfactor,
  '0015_bulk_load_costs': bulkLoadCosts,
  '0016_events_uncompressed': eventsUncompressed,
};
