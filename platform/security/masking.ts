export { canSeePersonalData } from './roles';

/** 4110**********123X: region prefix and the last four, enough to tell people apart on a screen. */
export function maskIdNumber(idNumber: string): string {
  if (idNumber.length < 8) return '*'.repeat(idNumber.length);
  return `${idNumber.slice(0, 4)}${'*'.repeat(idNumber.length - 8)}${idNumber.slice(-4)}`;
}

/** ************4567 */
export function maskAccount(accountNo: string): string {
  return accountNo.length <= 4 ? '****' : `${'*'.repeat(accountNo.length - 4)}${accountNo.slice(-4)}`;
}

const ID_KEYS = /^(id_?number|idnumber|id_?no|identity_?number)$/i;
const ACCOUNT_KEYS = /^(account_?no|account_?number|bank_?account|card_?no)$/i;
// An 18-character resident ID (GB 11643) anywhere in free text; digit runs of other lengths are left alone.
const ID_IN_TEXT = /(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])/g;

/**
 * Masks personal data inside an arbitrary JSON value (a decoded workflow payload, a log object):
 * fields named like ID numbers or bank accounts, and any resident ID number inside other strings.
 * Used where the shape is not known in advance; typed responses mask their own fields.
 */
export function maskPersonalData(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (ID_KEYS.test(key)) return maskIdNumber(value);
    if (ACCOUNT_KEYS.test(key)) return maskAccount(value);
    return value.replace(ID_IN_TEXT, (id) => maskIdNumber(id));
  }
  if (Array.isArray(value)) return value.map((item) => maskPersonalData(item, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskPersonalData(v, k)]));
  }
  return value;
}
