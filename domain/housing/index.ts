export * from './types';
export * from './policy';
export * from './screening';
export * from './price';
export * from './plan';
