import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig, repoRoot } from '../../platform/config';

// Docker cannot run here; this checks what can be checked without it.
const compose = parse(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8')) as {
  services: Record<
    string,
    { image?: string; build?: string; environment?: Record<string, string | number>; command?: string[] }
  >;
};
const configKeys = new Set(CONFIG_VARIABLES);

describe('docker-compose.yml', () => {
  it('has the production topology', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'postgres', 'temporal', 'temporal-ui', 'worker']);
  });

  it('pins every image to a version', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.image) expect(service.image, name).toMatch(/^[a-z0-9./-]+:\d+(\.\d+)+$/);
      else expect(existsSync(path.join(repoRoot, service.build ?? '', 'Dockerfile')), name).toBe(true);
    }
  });

  it('gives our processes only variables the config module knows, and entry points that exist', () => {
    for (const name of ['worker', 'api']) {
      const service = compose.services[name]!;
      for (const key of Object.keys(service.environment ?? {}))
        expect(configKeys.has(key), `${name}: ${key}`).toBe(true);
      expect(existsSync(path.join(repoRoot, service.command!.at(-1)!)), name).toBe(true);
    }
  });

  it('sets values the config module accepts', () => {
    const env = { ...compose.services.worker!.environment, ...compose.services.api!.environment };
    const substitutes: Record<string, string> = {
      POSTGRES_PASSWORD: 'secret',
      BANK_GATEWAY_URL: 'http://bank.example',
      PII_KEY: 'a2V5',
      AUTH_SECRET: 'a2V5',
    };
    const concrete = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [
        k,
        String(v).replace(/\$\{(\w+)[^}]*\}/g, (_, name: string) => substitutes[name]!),
      ]),
    );
    expect(() => loadConfig(concrete)).not.toThrow();
  });
});
