import type { Client } from '@temporalio/client';
import type { SubsidyDeps } from '../../activities/subsidy';
import type { Db } from '../../db/database';
import type { EventStore } from '../../eventstore';
import type { KeyRing } from '../../security/keyring';
import type { HousingApiOptions } from './housing';

/** What the API server gives its routes (api/server.ts builds it; each program's routes take the part they use). */
export interface ApiDeps {
  db: Db;
  store: EventStore;
  temporal: Client;
  taskQueue: string;
  logLevel: string;
  subsidy: SubsidyDeps;
  /** Verifies the bearer tokens of every protected route (security/tokens.ts). */
  tokenSecret: Uint8Array;
  /** The housing routes' plan and (tests, bench) shorter waits; default: the city's one purchase plan. */
  housing?: HousingApiOptions;
  /** The Web UI's codec server (api/routes/codec.ts); without it, the process's key ring and no CORS origin. */
  codec?: {
    keyRing?: KeyRing;
    /** Origins of the Temporal Web UI allowed to call /codec/* from the browser. */
    corsOrigins: readonly string[];
    /** Where the operator finds the UI (shown on /codec/login). */
    uiUrl?: string;
  };
}
