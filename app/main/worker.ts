// The worker alone (docker compose, or a second worker beside `npm start`): with DATABASE_URL and
// TEMPORAL_ADDRESS it uses those servers; without them it shares or starts the embedded stack.
import { loadConfig } from '../../platform/config';
import { installProcessGuards, runUntilSignal } from '../stack/signals';
import { startStack } from '../stack/stack';

installProcessGuards();
const config = loadConfig();
const stack = await startStack(config, { worker: true, api: false }, (line) => console.error(line));
console.error(`worker polling task queue ${config.TEMPORAL_TASK_QUEUE} on ${stack.temporal.address}`);
await runUntilSignal(stack.stop);
