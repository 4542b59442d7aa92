import { type EventStore, eventIdFor } from '../../platform/eventstore';

export interface SystemActivityDeps {
  store: EventStore;
}

export function createSystemActivities({ store }: SystemActivityDeps) {
  return {
    /** Appends one `SystemCheckRecorded` event; the event id comes from the workflow id, so a retry appends nothing new. */
    async recordSystemCheck(input: { workflowId: string; runId: string; requestedBy: string }) {
      const streamId = `system-check-${input.workflowId}`;
      const result = await store.append(
        streamId,
        [
          {
            eventId: eventIdFor(streamId, 'recorded'),
            type: 'SystemCheckRecorded',
            data: { requestedBy: input.requestedBy },
          },
        ],
        {
          metadata: {
            actor: input.requestedBy,
            workflowId: input.workflowId,
            runId: input.runId,
            activity: 'recordSystemCheck',
          },
        },
      );
      const event = result.events[0]!;
      return { streamId, position: event.position, hash: event.hash };
    },
  };
}
