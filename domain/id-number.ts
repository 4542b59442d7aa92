// GB 11643 resident ID numbers, shared by both programmes (the subsidy's beneficiaries, the housing
// purchase's sellers): one check, one place.
export { checkCharacter, checkIdNumber, makeIdNumber, type IdCheck } from './subsidy/id-number';
