// Every workflow the worker registers. Workflow code runs in Temporal's deterministic sandbox:
// no I/O, clocks or randomness here — those live in activities.
export { systemCheckWorkflow } from './system-check';
export { subsidyCycleWorkflow } from './subsidy/cycle';
export { countyReviewWorkflow } from './subsidy/review';
export { bankReconciliationWorkflow, paymentRunWorkflow, reissuePaymentWorkflow } from './subsidy/payment';
export { quarterlySubsidyLauncherWorkflow } from './subsidy/launcher';
export { recoveryWorkflow } from './subsidy/recovery';
export { housingListingWorkflow } from './housing/listing';
export { housingPurchasePlanWorkflow } from './housing/plan';
