import { Context } from '@temporalio/activity';
import type { EventMetadata } from '../eventstore';

/** Metadata for events an activity appends: the actor, plus where in Temporal it happened. */
export function activityMetadata(actor: { role: string; subject: string } | string): EventMetadata {
  const who = typeof actor === 'string' ? actor : `${actor.role}:${actor.subject}`;
  if (!hasContext()) return { actor: who };
  const info = Context.current().info;
  return {
    actor: who,
    workflowId: info.workflowExecution?.workflowId,
    runId: info.workflowExecution?.runId,
    activity: info.activityType,
  };
}

function hasContext(): boolean {
  try {
    Context.current();
    return true;
  } catch {
    return false;
  }
}

/** Heartbeats when running as an activity; a no-op when called directly (CLI, tests). */
export function heartbeat(details?: unknown): void {
  if (hasContext()) Context.current().heartbeat(details);
}
