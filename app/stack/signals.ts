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
    log(
      `${signal}: stopping in order (the API, the worker's activities, the servers); ${signal === 'SIGINT' ? 'Ctrl-C again' : 'SIGKILL'} exits at once`,
    );
    void Promise.allSettled([...stops].map((stop) => stop())).then(() => {
      if (waiters.length > 0) for (const resolve of waiters.splice(0)) resolve();
      else process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Resolves after the first SIGINT/SIGTERM has run `stop` (and every other tracked stack's stop). */
export function runUntilSignal(
  stop: () => Promise<void>,
  log: (line: string) => void = (l) => console.error(l),
): Promise<void> {
  installSignalHandlers(log);
  trackStack(stop);
  return new Promise((resolve) => waiters.push(resolve));
}

const lostConnection = (error: unknown): boolean => {
  const e = error as { code?: string; message?: string } | undefined;
  return (
    ['57P01', '57P02', '57P03', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED'].includes(e?.code ?? '') ||
    /Connection terminated|terminating connection/.test(e?.message ?? '')
  );
};

/**
 * A PostgreSQL connection lost under a client without its own listener (a server restart, a kill)
 * must fail the work that used it — which Temporal retries — not the whole process; errors of work
 * cut short by the orderly stop are no news. Anything else still ends the process, loudly.
 */
export function installProcessGuards(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  const survive = (kind: string) => (error: unknown) => {
    if (stopping) return;
    if (lostConnection(error)) {
      write(
        `postgres: a connection was lost (${String((error as Error).message).split('\n')[0]}); the work using it fails and is retried`,
      );
      return;
    }
    write(`error: ${kind}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  };
  process.on('uncaughtException', survive('uncaught exception'));
  process.on('unhandledRejection', survive('unhandled rejection'));
}
