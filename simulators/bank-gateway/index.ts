export { startBankGateway, type BankFaults, type BankGatewayOptions } from './server';
