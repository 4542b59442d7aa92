// Every workflow the worker registers. Workflow code runs in Temporal's deterministic sandbox:
// no I/O, clocks or randomness here — those live in activities.

export { housingListingWorkflow } from '../../housing/workflows/listing';
export { housingPurchasePlanWorkflow } from '../../housing/workflows/plan';
export { subsidyCycleWorkflow } from '../../subsidy/workflows/cycle';
export { quarterlySubsidyLauncherWorkflow } from '../../subsidy/workflows/launcher';
export {
  bankReconciliationWorkflow,
  paymentRunWorkflow,
  reissuePaymentWorkflow,
} from '../../subsidy/workflows/payment';
export { recoveryWorkflow } from '../../subsidy/workflows/recovery';
export { countyReviewWorkflow } from '../../subsidy/workflows/review';
export { systemCheckWorkflow } from './system-check';
