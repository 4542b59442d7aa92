import type { PropertyRegistry } from '../registry';
import { openSimulatorState } from '../simulator-state';

/** A loan for one purchase (组织实施(一)(四): bank loans and policy re-lending finance what capital does not). */
export interface LoanApplication {
  /** Idempotency: applying again under the same id changes nothing. */
  applicationId: string;
  listingId: string;
  contractId: string;
  amountFen: number;
}

export type LoanStatus =
  | { applicationId: string; status: 'pending' }
  | { applicationId: string; status: 'approved'; amountFen: number }
  | { applicationId: string; status: 'refused'; reason: string }
  | { applicationId: string; status: 'drawn'; amountFen: number; loanId: string }
  | { applicationId: string; status: 'cancelled'; reason: string };

/** The bank refuses to release the loan: the registration it requires is not done. Not worth retrying. */
export class LoanDrawRefusedError extends Error {
  override name = 'LoanDrawRefusedError';
}

/** The lending bank's loan desk. */
export interface LendingBank {
  /** Applies for a loan; the credit decision comes later (asynchronous). */
  apply(application: LoanApplication): Promise<LoanStatus>;
  /** Undefined for an application the bank does not know (apply again). */
  status(applicationId: string): Promise<LoanStatus | undefined>;
  /** Releases an approved loan once the home is registered to the buyer (工作任务(四)); idempotent. */
  draw(applicationId: string, certificateNo: string): Promise<{ loanId: string; amountFen: number }>;
  /** Withdraws an application or an undrawn approval; idempotent. */
  cancel(applicationId: string, reason: string): Promise<LoanStatus>;
}

export interface LendingSimulatorOptions {
  /** The registry the bank checks before releasing a loan. */
  registry: PropertyRegistry;
  /** Time from application to credit decision. Default 100 ms. */
  delayMs?: number;
  /** A reason to refuse this application, or undefined to approve. Default: every application is approved. */
  refusalOf?: (application: LoanApplication) => string | undefined;
  /** A journal file keeping the bank's loans across restarts (DATA_DIR/housing-simulators/lending.jsonl in the stack). */
  stateFile?: string;
}

interface Loan {
  application: LoanApplication;
  decidedAt: number;
  drawn?: string;
  cancelled?: string;
}

/** A simulated lending bank: asynchronous decisions, releases only against a registered certificate. */
export function createLendingSimulator(options: LendingSimulatorOptions): LendingBank {
  const state = openSimulatorState<Loan>(options.stateFile);
  const loans = state.entries;
  const delay = options.delayMs ?? 100;

  const statusOf = (id: string, loan: Loan): LoanStatus => {
    if (loan.drawn)
      return { applicationId: id, status: 'drawn', amountFen: loan.application.amountFen, loanId: loan.drawn };
    if (loan.cancelled !== undefined) return { applicationId: id, status: 'cancelled', reason: loan.cancelled };
    if (Date.now() < loan.decidedAt) return { applicationId: id, status: 'pending' };
    const refusal = options.refusalOf?.(loan.application);
    if (refusal) return { applicationId: id, status: 'refused', reason: refusal };
    return { applicationId: id, status: 'approved', amountFen: loan.application.amountFen };
  };

  return {
    async apply(application) {
      let loan = loans.get(application.applicationId);
      if (!loan) {
        loan = { application, decidedAt: Date.now() + delay };
        state.save(application.applicationId, loan);
      }
      return statusOf(application.applicationId, loan);
    },
    async status(applicationId) {
      const loan = loans.get(applicationId);
      return loan ? statusOf(applicationId, loan) : undefined;
    },
    async draw(applicationId, certificateNo) {
      const loan = loans.get(applicationId);
      if (!loan) throw new LoanDrawRefusedError(`no loan application ${applicationId}`);
      const status = statusOf(applicationId, loan);
      if (status.status === 'drawn') return { loanId: status.loanId, amountFen: status.amountFen };
      if (status.status !== 'approved') throw new LoanDrawRefusedError(`loan ${applicationId} is ${status.status}`);
      if (!(await options.registry.isRegistered(certificateNo))) {
        throw new LoanDrawRefusedError(
          `loan ${applicationId}: certificate ${certificateNo} is not registered (工作任务(四))`,
        );
      }
      state.save(applicationId, { ...loan, drawn: `LN-${applicationId}` });
      return { loanId: `LN-${applicationId}`, amountFen: loan.application.amountFen };
    },
    async cancel(applicationId, reason) {
      const loan = loans.get(applicationId);
      if (!loan) throw new Error(`no loan application ${applicationId}`);
      if (!loan.drawn && loan.cancelled === undefined) state.save(applicationId, { ...loan, cancelled: reason });
      return statusOf(applicationId, loans.get(applicationId)!);
    },
  };
}
