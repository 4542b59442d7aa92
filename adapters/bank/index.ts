export { createBankClient } from './client';
export * from './types';
