export { startBankGateway, redactUrl, type BankGatewayHandle, type BankGatewayOptions } from './server';
export { DEFAULT_BANK_CODES, maskAccount } from './accounts';
export { FAULT_EFFECTS, seededRandom, type BankFaults, type FaultEffect, type FaultRule, type FaultTarget } from './faults';
export type { InquiryView, LedgerEntryView, PaymentInstruction, PaymentView, StatementEntry, SubmissionResult } from './payments';
