// The hospital nursing subsidy rules core (许政办〔2025〕15号). Pure: no I/O, no clock, no randomness,
// nothing from node:* — importable from Temporal workflow code. See subsidy/rules/README.md.

export * from '../../platform/common/resident-id';
export * from './compute';
export * from './cycle';
export * from './explain';
export * from './jurisdictions';
export * from './policy';
export * from './quarter';
export * from './rows';
export * from './types';
