import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Search attributes operators filter on in the Temporal Web UI. The stack registers every key in
// ALL_SEARCH_ATTRIBUTES on start, so a new key here needs no manual step on an existing DATA_DIR.
export const QUARTER = defineSearchAttributeKey('Quarter', SearchAttributeType.KEYWORD);
export const JURISDICTION = defineSearchAttributeKey('Jurisdiction', SearchAttributeType.KEYWORD);
export const STAGE = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);
export const LISTING_KIND = defineSearchAttributeKey('ListingKind', SearchAttributeType.KEYWORD);
export const REGION = defineSearchAttributeKey('Region', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [QUARTER, JURISDICTION, STAGE, LISTING_KIND, REGION];

/** Set by Temporal on workflows a Schedule starts (a system attribute: never registered by us). */
export const SCHEDULED_START_TIME = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);
