import type { HousingDeps } from '../context';
import {
  cancelLoan,
  closeListing,
  recordLoanFallback,
  recordPlanFunds,
  recordStepFailed,
  terminateContract,
  unwindRegistration,
} from './compensation';
import { decideSellerPayment, paySeller } from './payment';
import {
  appraise,
  commissionAppraisal,
  drawLoan,
  handOver,
  obtainLoanDecision,
  recordApproval,
  recordOffer,
  recordSurvey,
  registerPurchase,
  signContract,
  submitAppraisal,
} from './purchase';
import { assessPriority, recordAdmission, recordReminder, recordScreeningDecision, screenListing } from './screening';

export {
  type HousingAdapters,
  type HousingDeps,
  type HousingSimulatorOptions,
  simulatedHousingAdapters,
} from '../context';

const steps = {
  screenListing,
  recordScreeningDecision,
  assessPriority,
  recordAdmission,
  recordReminder,
  recordSurvey,
  appraise,
  commissionAppraisal,
  submitAppraisal,
  recordOffer,
  recordApproval,
  signContract,
  registerPurchase,
  obtainLoanDecision,
  drawLoan,
  paySeller,
  decideSellerPayment,
  recordStepFailed,
  handOver,
  recordLoanFallback,
  cancelLoan,
  unwindRegistration,
  terminateContract,
  closeListing,
  recordPlanFunds,
};

type Bound<T> = {
  [K in keyof T]: T[K] extends (deps: HousingDeps, input: infer I) => infer O ? (input: I) => O : never;
};

/** The housing purchase's activities, each with the deps applied; all are idempotent (event ids, request ids, payment keys). */
export function createHousingActivities(deps: HousingDeps): Bound<typeof steps> {
  return Object.fromEntries(
    Object.entries(steps).map(([name, step]) => [
      name,
      (input: never) => (step as (d: HousingDeps, i: never) => unknown)(deps, input),
    ]),
  ) as Bound<typeof steps>;
}

export type HousingActivities = ReturnType<typeof createHousingActivities>;
