import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The repository root: every default path is relative to it, whatever the working directory. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/**
 * Every setting of the system, from the environment. The defaults serve the embedded stack
 * (PostgreSQL and the Temporal dev server started under DATA_DIR); setting DATABASE_URL or
 * TEMPORAL_ADDRESS points the system at servers that someone else runs.
 */
const configSchema = z.object({
  DATA_DIR: z.string().min(1).default('.data'),
  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  PG_PORT: port.default(54329),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('xuchang'),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_CLI_PATH: optionalString,
  /** Where tools installed for this machine are kept (the Temporal CLI); default ~/.cache/xuchang. */
  XUCHANG_CACHE_DIR: optionalString,
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  BANK_GATEWAY_URL: optionalString.pipe(z.url().optional()),
  BANK_SIM_PORT: port.default(4010),
  /** Base64 of 32 random bytes: protects ID numbers and bank accounts at rest. Generated under DATA_DIR when unset. */
  PII_KEY: optionalString,
  /** Where uploaded extracts and rosters are kept (content-addressed); API and workers must share it. Default DATA_DIR/uploads. */
  UPLOADS_DIR: optionalString,
  /** Base64 secret (≥ 32 bytes) signing API tokens. Generated under DATA_DIR when unset. */
  AUTH_SECRET: optionalString,
  /** Keys encrypting Temporal payloads, `id:base64,…` (first encrypts, all decrypt). Generated under DATA_DIR when unset. */
  PAYLOAD_KEYS: optionalString,
  /** The codec server the Temporal Web UI decodes payloads with; default the API's /codec; `off` disables. */
  TEMPORAL_UI_CODEC_ENDPOINT: optionalString,
  /** Comma-separated origins allowed to call the codec server; default the dev server's UI (127.0.0.1 and localhost). */
  CODEC_CORS_ORIGINS: optionalString,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The names of every environment variable the system reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(configSchema.shape);

export type Config = Omit<z.infer<typeof configSchema>, 'DATA_DIR'> & {
  /** Absolute path of the data directory. */
  DATA_DIR: string;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; a bad value throws a ConfigError naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const dataDir = path.resolve(repoRoot, parsed.data.DATA_DIR);
  return { ...parsed.data, DATA_DIR: dataDir };
}

/** Where each part of the embedded stack keeps its state inside DATA_DIR. */
export function dataPaths(config: Pick<Config, 'DATA_DIR'> & Partial<Pick<Config, 'UPLOADS_DIR'>>) {
  const root = config.DATA_DIR;
  return {
    root,
    postgres: path.join(root, 'postgres'),
    temporalDb: path.join(root, 'temporal.sqlite'),
    logs: path.join(root, 'logs'),
    run: path.join(root, 'run'),
    bank: path.join(root, 'bank-gateway'),
    uploads:
      'UPLOADS_DIR' in config && config.UPLOADS_DIR
        ? path.resolve(repoRoot, config.UPLOADS_DIR)
        : path.join(root, 'uploads'),
    cache: path.join(root, 'cache'),
    keys: path.join(root, 'keys'),
  };
}

export function isInitialised(config: Pick<Config, 'DATA_DIR'>): boolean {
  return existsSync(path.join(dataPaths(config).postgres, 'PG_VERSION'));
}
