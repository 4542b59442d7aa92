// The hospital nursing subsidy rules core (许政办〔2025〕15号). Pure: no I/O, no clock, no randomness,
// nothing from node:* — importable from Temporal workflow code. See domain/README.md.
export * from './types';
export * from './policy';
export * from './jurisdictions';
export * from './id-number';
export * from './quarter';
export * from './rows';
export * from './duplicates';
export * from './compute';
export * from './cycle';
export * from './explain';
