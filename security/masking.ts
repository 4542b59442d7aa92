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
