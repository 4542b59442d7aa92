import { NativeConnection, Worker } from '@temporalio/worker';
import { dataConverter } from '../../platform/temporal/client';
import { type ActivityDeps, createActivities } from '../activities';
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
    // On shutdown running activities get 10 s to finish, then are cancelled; one that ignores the
    // cancellation (stuck in a COPY) is abandoned after 30 s so Ctrl-C always ends. Payments are
    // idempotent and ingests resumable, so the retry on the next start is safe.
    shutdownGraceTime: '10 seconds',
    shutdownForceTime: '30 seconds',
  });
  const running = worker.run();
  return {
    worker,
    shutdown: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      try {
        await running;
      } catch (error) {
        // Past shutdownForceTime the worker fails and keeps its connection: say what that means instead.
        if (error instanceof Error && error.name === 'GracefulShutdownPeriodExpiredError') {
          throw new Error(
            'the worker abandoned activities that did not stop within 30 s; Temporal retries them on the next start',
          );
        }
        throw error;
      }
      await connection.close();
    },
  };
}
