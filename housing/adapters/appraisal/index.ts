import { createHash } from 'node:crypto';
import { openSimulatorState } from '../simulator-state';

/** What the appraisal firm is told: small facts of the home, never the seller. */
export interface AppraisalRequest {
  /** Idempotency: asking again under the same id returns the same report. */
  requestId: string;
  listingId: string;
  kind: 'new_stock' | 'second_hand';
  region: string;
  floorAreaDm2: number;
  askingFen: number;
}

/** 组织实施(三)/工作任务(三): a market value (the price cap) and a market rent (the rental stock's rent). */
export interface AppraisalReport {
  reportId: string;
  firm: string;
  valueFen: number;
  /** Market rent per month. */
  marketRentFen: number;
  appraisedOn: string;
}

/**
 * The appraisal firms (评估机构) the 住建局 commissions. `commission` names the firm taking a listing;
 * a firm that answers by machine (the bundled simulator) returns its report at once, any other firm
 * submits value and market rent later through its own role (`appraiser`, token subject = the firm).
 */
export interface AppraisalFirm {
  commission(request: AppraisalRequest): Promise<{ firm: string; report?: AppraisalReport }>;
  /** The simulator's own answer (kept for workflows started before commissions existed). */
  appraise(request: AppraisalRequest): Promise<AppraisalReport>;
}

export const SIMULATED_FIRM = '许昌市模拟评估有限公司';

export interface AppraisalSimulatorOptions {
  firm?: string;
  /** Value = asking × a ratio in [minPermille, maxPermille], fixed per listing by a hash of its id. Default 880–1000. */
  minPermille?: number;
  maxPermille?: number;
  /** Annual gross rent yield in basis points of the value. Default 250 (2.5 %). */
  rentYieldBasisPoints?: number;
  latencyMs?: number;
  /** Overrides the value for tests (fen). */
  valueFor?: (request: AppraisalRequest) => number | undefined;
  /** Today's date (ISO) for the report; default the machine's date. */
  today?: () => string;
  /** The firm the bureau commissions for a request, when not this simulator (it then submits through the API). */
  commissionTo?: (request: AppraisalRequest) => string | undefined;
  /** A journal file keeping the firm's reports across restarts (DATA_DIR/housing-simulators/appraisal.jsonl in the stack). */
  stateFile?: string;
}

/** A simulated appraisal firm: deterministic per listing, idempotent per request id. */
export function createAppraisalSimulator(options: AppraisalSimulatorOptions = {}): AppraisalFirm {
  const state = openSimulatorState<AppraisalReport>(options.stateFile);
  const reports = state.entries;
  const min = options.minPermille ?? 880;
  const max = options.maxPermille ?? 1000;
  const yieldBp = options.rentYieldBasisPoints ?? 250;
  const firm = options.firm ?? SIMULATED_FIRM;
  const simulator: AppraisalFirm = {
    async commission(request) {
      const other = options.commissionTo?.(request);
      if (other !== undefined && other !== firm) return { firm: other };
      return { firm, report: await simulator.appraise(request) };
    },
    async appraise(request) {
      const known = reports.get(request.requestId);
      if (known) return known;
      if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
      const spread = createHash('sha256').update(request.listingId).digest().readUInt32BE(0) % (max - min + 1);
      const valueFen = options.valueFor?.(request) ?? Math.floor((request.askingFen * (min + spread)) / 1000);
      const report: AppraisalReport = {
        reportId: `APR-${request.requestId}`,
        firm,
        valueFen,
        marketRentFen: Math.floor((valueFen * yieldBp) / 10_000 / 12),
        appraisedOn: options.today?.() ?? new Date().toISOString().slice(0, 10),
      };
      state.save(request.requestId, report);
      return report;
    },
  };
  return simulator;
}
