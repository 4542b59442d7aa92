export { DEFAULT_BANK_CODES, maskAccount } from './accounts';
export {
  type BankFaults,
  FAULT_EFFECTS,
  type FaultEffect,
  type FaultRule,
  type FaultTarget,
  seededRandom,
} from './faults';
export type {
  InquiryView,
  LedgerEntryView,
  PaymentInstruction,
  PaymentView,
  StatementEntry,
  SubmissionResult,
} from './payments';
export { type BankGatewayHandle, type BankGatewayOptions, redactUrl, startBankGateway } from './server';
