// The HTTP API alone (docker compose): see app/main/worker.ts for how it finds its servers.
import { loadConfig } from '../../platform/config';
import { installProcessGuards, runUntilSignal } from '../stack/signals';
import { startStack } from '../stack/stack';

installProcessGuards();
const config = loadConfig();
const stack = await startStack(config, { worker: false, api: true }, (line) => console.error(line));
console.error(`API listening on ${stack.apiUrl}`);
await runUntilSignal(stack.stop);
