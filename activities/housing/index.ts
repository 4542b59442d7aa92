import { cancelLoan, closeListing, recordStepFailed, recordLoanFallback, recordPlanFunds, terminateContract, unwindRegistration } from './compensation';
import type { HousingDeps } from './context';
import { decideSellerPayment, paySeller } from './payment';
import { appraise, commissionAppraisal, submitAppraisal, drawLoan, handOver, obtainLoanDecision, recordApproval, recordOffer, recordSurvey, registerPurchase, signContract } from './purchase';
import { assessPriority, recordAdmission, recordReminder, recordScreeningDecision, screenListing } from './screening';

export { simulatedHousingAdapters, type HousingAdapters, type HousingDeps, type HousingSimulatorOptions } from './context';

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

type Bound<T> = { [K in keyof T]: T[K] extends (deps: HousingDeps, input: infer I) => infer O ? (input: I) => O : never };

/** The housing purchase's activities, each with the deps applied; all are idempotent (event ids, request ids, payment keys). */
export function createHousingActivities(deps: HousingDeps): Bound<typeof steps> {
  return Object.fromEntries(Object.entries(steps).map(([name, step]) => [name, (input: never) => (step as (d: HousingDeps, i: never) => unknown)(deps, input)])) as Bound<typeof steps>;
}

export type HousingActivities = ReturnType<typeof createHousingActivities>;
