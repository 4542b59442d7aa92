export * from './plan';
export * from './policy';
export * from './price';
export * from './screening';
export * from './types';
