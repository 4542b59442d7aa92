export * from './types';
export * from './hash';
export * from './store';
export * from './verify';
