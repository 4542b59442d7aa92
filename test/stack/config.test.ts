import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, repoRoot } from '../../platform/config';

describe('configuration', () => {
  it('defaults serve the embedded stack under .data/', () => {
    const config = loadConfig({});
    expect(config.DATA_DIR).toBe(path.join(repoRoot, '.data'));
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.TEMPORAL_UI_PORT).toBe(8233);
  });

  it.each([
    ['API_PORT', 'eighty', /API_PORT/],
    ['TEMPORAL_PORT', '70000', /TEMPORAL_PORT/],
    ['DATABASE_URL', 'mysql://x@y/z', /DATABASE_URL/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL/],
  ])('a bad %s stops start-up with a message naming it', (name, value, pattern) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(pattern);
  });

  it('an empty optional variable counts as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', TEMPORAL_ADDRESS: '' }).TEMPORAL_ADDRESS).toBeUndefined();
  });
});
