export { BankGatewayClient, createBankClient, type BankClientOptions } from './client';
export * from './types';
