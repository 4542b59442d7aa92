import { createHmac } from 'node:crypto';

/**
 * Bank codes the simulated gateway can route to: the short names banks use in Henan, and their
 * CNAPS bank-category codes (a 12-digit CNAPS line number is accepted by its first three digits).
 * Social-security cards in Xuchang are issued through these banks and the rural credit union (XCRCB).
 */
export const DEFAULT_BANK_CODES: readonly string[] = [
  'ICBC',
  '102', // 工商银行
  'ABC',
  '103', // 农业银行
  'BOC',
  '104', // 中国银行
  'CCB',
  '105', // 建设银行
  'BOCOM',
  'COMM',
  '301', // 交通银行
  'CITIC',
  '302',
  'CEB',
  '303',
  'HXB',
  '304',
  'CMBC',
  '305',
  'CGB',
  '306',
  'PAB',
  '307',
  'CMB',
  '308',
  'CIB',
  '309',
  'SPDB',
  '310',
  'ZYB',
  '313', // 中原银行 (city commercial banks share category 313)
  'ZZBANK',
  'XCRCB',
  'HNNX',
  '402', // 许昌农商银行 / 河南农信 (rural credit cooperatives)
  'PSBC',
  '403', // 邮储银行
];

/** Digits only, as on a social-security card's bank account; lengths of cards and passbook accounts. */
const ACCOUNT_FORMAT = /^\d{8,30}$/;

export function maskAccount(accountNo: string): string {
  return accountNo.length <= 4 ? '****' : `${'*'.repeat(accountNo.length - 4)}${accountNo.slice(-4)}`;
}

/**
 * Who the bank's accounts are, as far as the simulator needs to know: which codes exist, which
 * accounts are closed or unusable. Accounts are held as keyed hashes (the journal and the admin
 * views never carry an account number in plain; the key stays in the journal directory).
 */
export class AccountBook {
  private readonly bankCodes: Set<string>;
  private readonly closed = new Set<string>();
  private readonly invalid = new Set<string>();

  constructor(
    private readonly secret: Buffer,
    bankCodes: readonly string[] = DEFAULT_BANK_CODES,
  ) {
    this.bankCodes = new Set(bankCodes.map((c) => c.toUpperCase()));
  }

  /** A stable pseudonym of an account number, for the ledger and for grouping payments per beneficiary. */
  ref(accountNo: string): string {
    return createHmac('sha256', this.secret).update(`account:${accountNo}`).digest('hex').slice(0, 24);
  }

  /** Binds what makes two instructions "the same payment": bank, account and amount (not name or memo). */
  fingerprint(bankCode: string, accountNo: string, amountFen: number): string {
    return createHmac('sha256', this.secret)
      .update(`payment:${bankCode.toUpperCase()}|${accountNo}|${amountFen}`)
      .digest('hex')
      .slice(0, 24);
  }

  knowsBank(bankCode: string): boolean {
    const code = bankCode.trim().toUpperCase();
    return this.bankCodes.has(code) || (/^\d{12}$/.test(code) && this.bankCodes.has(code.slice(0, 3)));
  }

  /** Why an instruction cannot be accepted at all, or undefined when the account can be paid into. */
  invalidReason(bankCode: string, accountNo: string): 'invalid_account' | undefined {
    if (!this.knowsBank(bankCode) || !ACCOUNT_FORMAT.test(accountNo)) return 'invalid_account';
    if (this.invalid.has(this.ref(accountNo))) return 'invalid_account';
    return undefined;
  }

  isClosedRef(accountRef: string): boolean {
    return this.closed.has(accountRef);
  }

  setClosedRef(accountRef: string, closed: boolean): void {
    if (closed) this.closed.add(accountRef);
    else this.closed.delete(accountRef);
  }

  markInvalid(accountNo: string): void {
    this.invalid.add(this.ref(accountNo));
  }

  clearInvalid(): void {
    this.invalid.clear();
  }

  counts(): { closed: number; invalid: number } {
    return { closed: this.closed.size, invalid: this.invalid.size };
  }
}
