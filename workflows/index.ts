// Every workflow the worker registers. Workflow code runs in Temporal's deterministic sandbox:
// no I/O, clocks or randomness here — those live in activities.
export { systemCheckWorkflow } from './system-check';
