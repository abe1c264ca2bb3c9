// What every Lethe handler (runtime/handlers/, and runtime/stores/storeHandler.ts: so it lives here,
// below both) gets the same way: its Logger, Metrics and Tracer (one set per service name, built at
// cold start), and one wrapper around each invocation that traces it as a subsegment
// (annotated with the service and cold start only: never an event, a reply or an error message, which
// may name a subject), publishes the metrics the call stored and gives every failure one shape (an
// Error whose name is Lambda's errorType: refusals keep theirs, runtime/handlers/refusals.ts).
// The Logger puts the X-Ray trace id (_X_AMZN_TRACE_ID) on every line it writes.
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { Tracer } from "@aws-lambda-powertools/tracer";
import { handlerTracer } from "./tracing";

export interface HandlerTools {
  serviceName: string;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
}

const toolsByService = new Map<string, HandlerTools>();

/** The service's Logger, Metrics (namespace Lethe) and Tracer: built once per service name. */
export function handlerTools(serviceName: string): HandlerTools {
  let tools = toolsByService.get(serviceName);
  if (!tools) {
    tools = {
      serviceName,
      logger: new Logger({ serviceName }),
      metrics: new Metrics({ namespace: "Lethe", serviceName }),
      tracer: handlerTracer(serviceName),
    };
    toolsByService.set(serviceName, tools);
  }
  return tools;
}

/** Anything thrown, as an Error with a name (what Lambda reports as errorType). */
export function asHandlerError(err: unknown): Error {
  if (err instanceof Error) return err;
  const wrapped = new Error(typeof err === "string" ? err : "the handler failed with a non-Error value");
  wrapped.name = "HandlerError";
  return wrapped;
}

/**
 * `handler` run as the service's invocation: traced as `## <service>`, its stored metrics published,
 * its failure shaped by asHandlerError and marked on the subsegment (by name: its message stays out).
 */
export function letheHandler<A extends unknown[], R>(
  tools: HandlerTools,
  handler: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  const { tracer, metrics, serviceName } = tools;
  let coldStart = true;
  return async (...args: A): Promise<R> => {
    const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
    const subsegment = parent?.addNewSubsegment(`## ${serviceName}`);
    if (subsegment) {
      tracer.setSegment(subsegment);
      subsegment.addAnnotation("Service", serviceName);
      subsegment.addAnnotation("ColdStart", coldStart);
    }
    coldStart = false;
    try {
      return await handler(...args);
    } catch (err) {
      const shaped = asHandlerError(err);
      if (subsegment) {
        subsegment.addAnnotation("ErrorType", shaped.name);
        subsegment.addErrorFlag();
      }
      throw shaped;
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      if (subsegment && parent) {
        subsegment.close();
        tracer.setSegment(parent);
      }
    }
  };
}
