/** Resolves after the first SIGINT/SIGTERM has run `stop`; a second signal exits at once. */
export function runUntilSignal(stop: () => Promise<void>, log: (line: string) => void = (l) => console.error(l)): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log(`${signal} again: exiting now`);
        process.exit(130);
      }
      stopping = true;
      log(`${signal}: stopping`);
      void stop().then(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
