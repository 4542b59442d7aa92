import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The state of a housing simulator (appraisal firm, registry, lending bank) as a JSON-lines journal:
 * one `{k, v}` line per change, written and fsynced before the simulator answers, replayed on start
 * (the last line of a key wins; a torn last line from a crash is skipped). Without a file, memory only.
 * These stand in for other organisations' systems, so their state is theirs: never our PostgreSQL.
 */
export interface SimulatorState<T> {
  readonly entries: Map<string, T>;
  save(key: string, value: T): void;
}

export function openSimulatorState<T>(file?: string): SimulatorState<T> {
  const entries = new Map<string, T>();
  if (!file) return { entries, save: (key, value) => void entries.set(key, value) };
  mkdirSync(path.dirname(file), { recursive: true });
  if (existsSync(file)) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      try {
        const { k, v } = JSON.parse(line) as { k: string; v: T };
        entries.set(k, v);
      } catch (error) {
        // Only the last line may be torn (a crash mid-write); anything earlier is damage, not to be skipped silently.
        if (i < lines.length - 2 || (i === lines.length - 2 && lines[lines.length - 1] !== ''))
          throw new Error(`${file}: line ${i + 1} is damaged`, { cause: error });
      }
    });
  }
  return {
    entries,
    save(key, value) {
      entries.set(key, value);
      const fd = openSync(file, 'a');
      try {
        appendFileSync(fd, `${JSON.stringify({ k: key, v: value })}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
}
