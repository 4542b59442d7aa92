export * from './answers';
export { type BankClientOptions, BankGatewayClient, createBankClient } from './client';
export * from './types';
