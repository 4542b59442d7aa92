import type { Client } from '@temporalio/client';
import type { HousingApiOptions } from '../../housing/api/routes';
import type { Db } from '../../platform/db/database';
import type { EventStore } from '../../platform/eventstore';
import type { KeyRing } from '../../platform/security/keyring';
import type { SubsidyDeps } from '../../subsidy/activities';

// What the API server is given, in a file of its own: the routes and the console take it without importing
// the server that registers them (no import circle, not even of types).

export interface ApiDeps {
  db: Db;
  store: EventStore;
  temporal: Client;
  taskQueue: string;
  logLevel: string;
  subsidy: SubsidyDeps;
  /** Verifies the bearer tokens of every protected route (platform/security/tokens.ts). */
  tokenSecret: Uint8Array;
  /** The housing routes' plan and (tests, bench) shorter waits; default: the city's one purchase plan. */
  housing?: HousingApiOptions;
  /** The Web UI's codec server (app/api/routes/codec.ts); without it, the process's key ring and no CORS origin. */
  codec?: {
    keyRing?: KeyRing;
    /** Origins of the Temporal Web UI allowed to call /codec/* from the browser. */
    corsOrigins: readonly string[];
    /** Where the operator finds the UI (shown on /codec/login). */
    uiUrl?: string;
  };
  /** The work console (api/console): cookie and sign-in limits. */
  console?: ConsoleOptions;
}

export interface ConsoleOptions {
  /** Mark cookies Secure (behind TLS in production); the embedded stack serves plain HTTP on 127.0.0.1. */
  secureCookies?: boolean;
  /** Sign-in attempts per client address and window (default 10 a minute). */
  loginRateLimit?: { max: number; timeWindowMs: number };
  /** Session lifetime (a working day by default). */
  sessionTtl?: string;
}
