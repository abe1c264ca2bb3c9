// The stores' Task states of the erasure definition, for a local run (local/erasure/workflow.ts): each
// calls its store's function through the Lambda integration (`{FunctionName, Payload}` in, the
// function's reply as `Payload` out), so one handler per state name picks the store's handler by the
// function ARN the Map item carries, and answers as Lambda's Invoke would.
import { StoreKind } from "../../runtime/contracts/stores";
import { storeTaskStateNames, WorkflowStore } from "../../runtime/erasure/workflow/storeBranches";

type Handler = (input: unknown) => Promise<unknown>;

export function localStoreTaskHandlers(
  stores: readonly WorkflowStore[],
  handlerOf: (store: WorkflowStore) => Handler,
): Record<string, Handler> {
  const byArn = new Map(stores.map((s) => [s.functionArn, s]));
  const handlers = new Map<string, Handler>();
  const invoke: Handler = async (input) => {
    const { FunctionName, Payload } = input as { FunctionName?: string; Payload?: unknown };
    const store = byArn.get(FunctionName ?? "");
    if (!store) throw new Error(`local workflow: no store function ${FunctionName}`);
    let handler = handlers.get(store.name);
    if (!handler) handlers.set(store.name, (handler = handlerOf(store)));
    return { StatusCode: 200, Payload: await handler(Payload) };
  };
  const kinds = new Set<StoreKind>(stores.map((s) => s.kind));
  return Object.fromEntries([...kinds].flatMap((k) => storeTaskStateNames(k).map((name) => [name, invoke])));
}
