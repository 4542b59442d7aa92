import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { queryFlag, queryInt } from '../../platform/http/query-params';

// "false" in a query string is a non-empty string; z.coerce.boolean() once turned it into true and
// auto-approved a cycle that was meant to wait for its counties.
describe('query-string flags and numbers', () => {
  const schema = z.object({ autoApprove: queryFlag(false), limit: queryInt(1, 1_000, 100) });

  it.each([
    ['false', false],
    ['0', false],
    ['no', false],
    ['FALSE', false],
    ['true', true],
    ['1', true],
    ['yes', true],
  ])('reads autoApprove=%s as %s', (text, expected) => {
    expect(schema.parse({ autoApprove: text }).autoApprove).toBe(expected);
  });

  it('defaults when absent, and refuses anything else', () => {
    expect(schema.parse({})).toEqual({ autoApprove: false, limit: 100 });
    expect(schema.safeParse({ autoApprove: 'maybe' }).success).toBe(false);
    expect(schema.safeParse({ autoApprove: '' }).success).toBe(false);
  });

  it('takes whole numbers in range only', () => {
    expect(schema.parse({ limit: '250' }).limit).toBe(250);
    for (const bad of ['', '0', '1001', '1e3', '-1', '2.5', 'ten'])
      expect(schema.safeParse({ limit: bad }).success, bad).toBe(false);
  });
});
