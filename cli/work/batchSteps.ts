// Where a batch is, read from a `status` reply: the step under way (the last one started and not
// ended; none between steps), with objects done of total while the lake is being forgotten.
// What `erase --wait` shows step by step, for a deployed stack and a local one alike.

export interface BatchStep {
  step: string;
  done?: number;
  total?: number;
  text?: string;
}

interface StatusReply {
  state?: string;
  batch?: {
    objectsPurged?: number;
    objectsNothingToDo?: number;
    objectsFailed?: number;
    steps?: Record<string, { startedAt?: string; endedAt?: string; counts?: Record<string, number> }>;
  };
}

export function batchStepOf(status: unknown): BatchStep | undefined {
  const s = (status ?? {}) as StatusReply;
  const steps = Object.entries(s.batch?.steps ?? {}).filter(([, v]) => typeof v.startedAt === "string");
  const running = steps
    .filter(([, v]) => v.endedAt === undefined)
    .sort(([, a], [, b]) => String(a.startedAt).localeCompare(String(b.startedAt)))
    .pop();
  if (!running) return undefined;
  const [step, v] = running;
  if (step !== "forget") return { step };
  const b = s.batch!;
  const done = (b.objectsPurged ?? 0) + (b.objectsNothingToDo ?? 0) + (b.objectsFailed ?? 0);
  const total = v.counts?.objectsEnqueued;
  return { step, done, ...(total !== undefined ? { total } : {}), text: "objects" };
}
