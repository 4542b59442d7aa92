import { openSimulatorState } from '../simulator-state';
/** 不动产登记 of a purchase, with the 契税 the buyer pays (工作任务(四): a fast track). */
export interface RegistrationRequest {
  /** Idempotency: submitting again under the same id changes nothing. */
  applicationId: string;
  listingId: string;
  contractId: string;
  priceFen: number;
  deedTaxFen: number;
}

export type RegistrationStatus =
  | { applicationId: string; status: 'pending' }
  | { applicationId: string; status: 'registered'; certificateNo: string; deedTaxPaidFen: number }
  | { applicationId: string; status: 'failed'; reason: string }
  | { applicationId: string; status: 'revoked'; certificateNo: string; reason: string };

/** The real-estate registry (自然资源和规划局) and the tax bureau's deed-tax desk, as one counter. */
export interface PropertyRegistry {
  /** Files an application; it is decided later (asynchronous). */
  submit(request: RegistrationRequest): Promise<RegistrationStatus>;
  /** Undefined for an application the registry does not know (never filed, or lost: file it again). */
  status(applicationId: string): Promise<RegistrationStatus | undefined>;
  /** Unwinds a completed registration (compensation of a terminated contract); idempotent. */
  revoke(applicationId: string, reason: string): Promise<RegistrationStatus>;
  /** Whether a certificate stands registered to the buyer (the bank checks this before releasing a loan). */
  isRegistered(certificateNo: string): Promise<boolean>;
}

export interface RegistrySimulatorOptions {
  /** Time from filing to decision. Default 100 ms. */
  delayMs?: number;
  /** A reason to fail this application, or undefined to register it. Default: every application registers. */
  failureOf?: (request: RegistrationRequest) => string | undefined;
  /** A journal file keeping the registry's applications across restarts (DATA_DIR/housing-simulators/registry.jsonl in the stack). */
  stateFile?: string;
}

interface Application {
  request: RegistrationRequest;
  decidedAt: number;
  revoked?: string;
}

/** A simulated registry: asynchronous (decided `delayMs` after filing), deterministic, idempotent. */
export function createRegistrySimulator(options: RegistrySimulatorOptions = {}): PropertyRegistry {
  const state = openSimulatorState<Application>(options.stateFile);
  const applications = state.entries;
  const delay = options.delayMs ?? 100;
  const certificateOf = (id: string) => `豫(2025)许昌市不动产权第${id}号`;

  const statusOf = (id: string, app: Application): RegistrationStatus => {
    if (Date.now() < app.decidedAt) return { applicationId: id, status: 'pending' };
    const failure = options.failureOf?.(app.request);
    if (failure) return { applicationId: id, status: 'failed', reason: failure };
    if (app.revoked !== undefined)
      return { applicationId: id, status: 'revoked', certificateNo: certificateOf(id), reason: app.revoked };
    return {
      applicationId: id,
      status: 'registered',
      certificateNo: certificateOf(id),
      deedTaxPaidFen: app.request.deedTaxFen,
    };
  };

  return {
    async submit(request) {
      let app = applications.get(request.applicationId);
      if (!app) {
        app = { request, decidedAt: Date.now() + delay };
        state.save(request.applicationId, app);
      }
      return statusOf(request.applicationId, app);
    },
    async status(applicationId) {
      const app = applications.get(applicationId);
      return app ? statusOf(applicationId, app) : undefined;
    },
    async revoke(applicationId, reason) {
      const app = applications.get(applicationId);
      if (!app) throw new Error(`registry: no application ${applicationId}`);
      const current = statusOf(applicationId, app);
      if (current.status === 'registered') state.save(applicationId, { ...app, revoked: reason });
      const after = applications.get(applicationId)!;
      return statusOf(applicationId, after);
    },
    async isRegistered(certificateNo) {
      for (const [id, app] of applications) {
        const s = statusOf(id, app);
        if (s.status === 'registered' && s.certificateNo === certificateNo) return true;
      }
      return false;
    },
  };
}
