export * from './types';
export * from './policy';
export * from './jurisdictions';
export * from './id-number';
export * from './quarter';
export * from './rows';
export * from './compute';
