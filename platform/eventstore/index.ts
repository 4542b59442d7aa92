export * from './decide';
export * from './hash';
export * from './store';
export * from './types';
export * from './verify';
