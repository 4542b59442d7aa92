// Chinese summaries for the Temporal UI (workflow-safe: no I/O). Workflows and their starters use
// these so an operator reads a history without decoding JSON. Never put an ID number or account here.

/** What a workflow start carries for the UI: a one-line summary and a longer Markdown description. */
export interface StartMetadata {
  staticSummary: string;
  staticDetails: string;
}

/** '2025Q3' → '2025年第3季度'. */
export function quarterZh(quarter: string): string {
  return `${quarter.slice(0, 4)}年第${quarter.slice(5)}季度`;
}

/** 123456 fen → '1234.56元'. */
export function yuanZh(fen: number): string {
  return `${(fen / 100).toFixed(2)}元`;
}

/**
 * An activity proxy whose listed activities are scheduled with their Chinese `summary` (shown in the
 * UI beside the activity). Metadata only: the commands Temporal matches on replay stay the same.
 */
export function withSummaries<T extends object>(proxy: T, summaries: Partial<Record<keyof T, string>>): T {
  return new Proxy(proxy, {
    get(target, name) {
      const fn = Reflect.get(target, name) as {
        executeWithOptions?: (options: { summary: string }, args: unknown[]) => Promise<unknown>;
      };
      const summary = typeof name === 'string' ? (summaries as Record<string, string | undefined>)[name] : undefined;
      if (summary === undefined || typeof fn?.executeWithOptions !== 'function') return fn;
      return (...args: unknown[]) => fn.executeWithOptions!({ summary }, args);
    },
  });
}
