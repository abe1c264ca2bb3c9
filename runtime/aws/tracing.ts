// The process's one Powertools Tracer (X-Ray): every handler's invocation subsegment
// (runtime/handlers/letheHandler.ts), every SDK client built in ./clients.ts and every subsystem HTTP
// call (runtime/stores/subsystem.ts) record through it. One per process, because building a Tracer
// patches Node's http and fetch globally. Off outside Lambda (the Tracer checks AWS_EXECUTION_ENV) and
// where POWERTOOLS_TRACE_ENABLED is "false"; a local stack turns it on with a local daemon address.
// Nothing recorded here names a subject: annotations are service names, store names and counts.
import { Tracer } from "@aws-lambda-powertools/tracer";

let shared: Tracer | undefined;

/** The process's Tracer (built on first use). */
export function processTracer(): Tracer {
  // A reply or an error message may name a request's subjects: neither goes into a segment.
  return (shared ??= new Tracer({ captureHTTPsRequests: true }));
}

/** The Tracer a handler's tools carry (the process's: see above). */
export function handlerTracer(_serviceName: string): Tracer {
  return processTracer();
}

/** An AWS SDK v3 client whose calls are subsegments of the current trace (unchanged when tracing is off). */
export function traced<T>(client: T): T {
  return processTracer().captureAWSv3Client(client);
}

/**
 * `run` as a subsegment named `name` of the current trace (run as is when tracing is off), with
 * `annotations` (names and counts only, never an ID); a failure marks it by its error's name.
 */
export async function inSubsegment<T>(
  name: string,
  annotations: Record<string, string | number | boolean>,
  run: (segment?: { addAnnotation(key: string, value: string | number | boolean): void }) => Promise<T>,
): Promise<T> {
  const tracer = processTracer();
  const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (!parent) return run();
  const sub = parent.addNewSubsegment(name);
  for (const [k, v] of Object.entries(annotations)) sub.addAnnotation(k, v);
  tracer.setSegment(sub);
  try {
    return await run(sub);
  } catch (err) {
    sub.addAnnotation("ErrorType", err instanceof Error ? err.name : "Error");
    sub.addErrorFlag();
    throw err;
  } finally {
    sub.close();
    tracer.setSegment(parent);
  }
}
