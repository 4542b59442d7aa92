import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { dataConverter } from '../stack/temporal-client';
import { workflowBundle } from './bundle';

export interface WorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Where a built workflow bundle is cached between runs (DATA_DIR/cache). */
  bundleCacheDir?: string;
}

export interface RunningWorker {
  worker: Worker;
  /** Stops polling, lets running activities finish, and resolves when the worker is down. */
  shutdown(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: await workflowBundle(options.bundleCacheDir),
    activities: createActivities(options.deps),
    dataConverter: dataConverter(),
    // Give running activities time to finish on shutdown; payments are idempotent either way.
    shutdownGraceTime: '10 seconds',
  });
  const running = worker.run();
  return {
    worker,
    shutdown: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
