/**
 * Ctrl-C and SIGTERM stop every stack of the process in order (stack.ts: API, worker, clients, then
 * the servers it owns) before the process exits; a second signal exits at once. Commands that run
 * until stopped (`npm start`) wait in runUntilSignal and exit 0; any other command interrupted exits
 * 130 (SIGINT) or 143 (SIGTERM) after the orderly stop.
 */
const stops = new Set<() => Promise<void>>();
const waiters: (() => void)[] = [];
let installed = false;
let stopping: NodeJS.Signals | undefined;

/** Registers a stack's stop for the signal handlers; returns the function that unregisters it. */
export function trackStack(stop: () => Promise<void>): () => void {
  stops.add(stop);
  return () => stops.delete(stop);
}

/** True once a signal started the orderly stop: errors of work cut short are then expected, not news. */
export function stoppingOnSignal(): NodeJS.Signals | undefined {
  return stopping;
}

export function installSignalHandlers(log: (line: string) => void = (l) => console.error(l)): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(130);
    }
    stopping = signal;
    log(`${signal}: stopping in order (the API, the worker's activities, the servers); ${signal === 'SIGINT' ? 'Ctrl-C again' : 'SIGKILL'} exits at once`);
    void Promise.allSettled([...stops].map((stop) => stop())).then(() => {
      if (waiters.length > 0) for (const resolve of waiters.splice(0)) resolve();
      else process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Resolves after the first SIGINT/SIGTERM has run `stop` (and every other tracked stack's stop). */
export function runUntilSignal(stop: () => Promise<void>, log: (line: string) => void = (l) => console.error(l)): Promise<void> {
  installSignalHandlers(log);
  trackStack(stop);
  return new Promise((resolve) => waiters.push(resolve));
}
