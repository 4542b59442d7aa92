// GB 11643 resident ID numbers, shared by both programmes (the subsidy's beneficiaries, the housing
// purchase's sellers): one check, one place.
export { checkCharacter, checkIdNumber, type IdCheck, makeIdNumber } from './resident-id';
