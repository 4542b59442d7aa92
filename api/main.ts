// The HTTP API alone (docker compose): see worker/main.ts for how it finds its servers.
import { loadConfig } from '../stack/config';
import { startStack } from '../stack/stack';
import { installProcessGuards, runUntilSignal } from '../stack/signals';

installProcessGuards();
const config = loadConfig();
const stack = await startStack(config, { worker: false, api: true }, (line) => console.error(line));
console.error(`API listening on ${stack.apiUrl}`);
await runUntilSignal(stack.stop);
