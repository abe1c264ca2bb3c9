// One store step of a batch, as the state machine (or a person at the Lambda console) asks for it:
// parse the event, read the batch's IDs from its manifest, call the store, and shape a reply of
// counts. A store that fails, times out, is past its deadline or still holds rows after erasure
// alerts its owner once and answers NEEDS_ATTENTION; a bad event is the caller's error and throws.
import { ManifestRef } from "../contracts/messages";
import { StoreConfig, StoreKind, storeIds } from "../contracts/stores";
import { UsageError } from "../contracts/errors";
import { OwnerAlert, ownerAlertMessage } from "./ownerAlert";
import { Store, StoreError } from "./store";
import { SubsystemClient, SubsystemOutcome } from "./subsystem";

export type StoreAction = "find" | "erase" | "verify" | "submit" | "poll";

export const actionsByKind: Record<StoreKind, readonly StoreAction[]> = {
  dynamodb: ["find", "erase", "verify"],
  postgres: ["find", "erase", "verify"],
  // A subsystem's "erase" is its submit and its "verify" its poll: done is its answer that all is gone.
  subsystem: ["submit", "poll", "erase", "verify"],
};

export interface StoreTaskEvent {
  batchId: string;
  requestId?: string;
  action: StoreAction;
  manifest: ManifestRef;
  store: string;
  /** ISO time the erasure is due (the request's deadline): an async subsystem not done by then needs attention. */
  deadline?: string;
  /** The batch's fencing token (default 0: no lock held). */
  fencingToken?: number;
}

export type StoreTaskStatus = "OK" | "COMPLETED" | "PENDING" | "NEEDS_ATTENTION";

export interface StoreTaskReply {
  store: string;
  kind: StoreKind;
  action: StoreAction;
  batchId: string;
  requestId?: string;
  /** OK (find, erase done), COMPLETED (verified zero, or the subsystem is done), PENDING, NEEDS_ATTENTION. */
  status: StoreTaskStatus;
  /** Subjects in the batch (when the manifest was read). */
  subjects?: number;
  count?: number;
  deleted?: number;
  remaining?: number;
  erased?: number;
  changedSinceFound?: number;
  byTable?: Record<string, number>;
  /** While PENDING: the action to call after the state machine's Wait. */
  nextAction?: "submit" | "poll";
  reason?: string;
  /** True when this call alerted the store's owner. */
  alerted?: boolean;
  message: string;
}

export interface StoreTaskDeps {
  store: StoreConfig;
  readIds: (ref: ManifestRef) => Promise<string[][]>;
  sendAlert: (alert: OwnerAlert) => Promise<void>;
  /** For dynamodb and postgres stores. */
  tableStore?: Store;
  /** For subsystem stores. */
  subsystem?: SubsystemClient;
}

const batchIdPattern = /^[A-Za-z0-9_-]{1,128}$/;

/** Checks a console or state-machine event against the store this function serves. */
export function parseStoreTaskEvent(raw: unknown, store: StoreConfig): StoreTaskEvent {
  const bad = (message: string): never => {
    throw new UsageError(`store "${store.name}": bad event: ${message}`);
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) bad("must be a JSON object");
  const e = raw as Record<string, unknown>;
  if (e.store !== store.name)
    bad(`store must be ${JSON.stringify(store.name)} (this function's), got ${JSON.stringify(e.store)}`);
  if (typeof e.batchId !== "string" || !batchIdPattern.test(e.batchId))
    bad(`batchId must be 1-128 letters, digits, - or _, got ${JSON.stringify(e.batchId)}`);
  if (e.requestId !== undefined && (typeof e.requestId !== "string" || !batchIdPattern.test(e.requestId)))
    bad(`requestId must be 1-128 letters, digits, - or _, got ${JSON.stringify(e.requestId)}`);
  const actions = actionsByKind[store.kind];
  if (typeof e.action !== "string" || !actions.includes(e.action as StoreAction))
    bad(
      `action must be one of ${actions.join(", ")} for a ${store.kind} store, got ${JSON.stringify(e.action)}`,
    );
  const m = e.manifest as Record<string, unknown> | undefined;
  if (
    typeof m !== "object" ||
    m === null ||
    typeof m.bucket !== "string" ||
    typeof m.key !== "string" ||
    m.bucket === "" ||
    m.key === ""
  )
    bad('manifest must be {"bucket": "...", "key": "...", "versionId"?: "..."}');
  if (m!.versionId !== undefined && typeof m!.versionId !== "string")
    bad("manifest.versionId must be a string");
  if (
    e.deadline !== undefined &&
    (typeof e.deadline !== "string" || !Number.isFinite(Date.parse(e.deadline)))
  )
    bad(`deadline must be an ISO date-time, got ${JSON.stringify(e.deadline)}`);
  if (
    e.fencingToken !== undefined &&
    (!Number.isSafeInteger(e.fencingToken) || (e.fencingToken as number) < 0)
  )
    bad(`fencingToken must be a whole number, got ${JSON.stringify(e.fencingToken)}`);
  return {
    batchId: e.batchId as string,
    ...(e.requestId !== undefined ? { requestId: e.requestId as string } : {}),
    action: e.action as StoreAction,
    manifest: {
      bucket: m!.bucket as string,
      key: m!.key as string,
      ...(m!.versionId !== undefined ? { versionId: m!.versionId as string } : {}),
    },
    store: store.name,
    ...(e.deadline !== undefined ? { deadline: e.deadline as string } : {}),
    ...(e.fencingToken !== undefined ? { fencingToken: e.fencingToken as number } : {}),
  };
}

export async function runStoreTask(deps: StoreTaskDeps, event: StoreTaskEvent): Promise<StoreTaskReply> {
  const { store } = deps;
  const head = {
    store: store.name,
    kind: store.kind,
    action: event.action,
    batchId: event.batchId,
    ...(event.requestId ? { requestId: event.requestId } : {}),
  };
  let subjects: number | undefined;
  let known: readonly string[] = [];
  const ids = async (): Promise<string[]> => {
    const keys = await deps.readIds(event.manifest);
    const values = storeIds(store, keys);
    subjects = values.length;
    known = values;
    return values;
  };
  const needsAttention = async (
    raw: string,
    counts: Partial<StoreTaskReply> = {},
  ): Promise<StoreTaskReply> => {
    if (subjects === undefined) await ids().catch(() => undefined);
    // A store's or subsystem's own error text may quote a value it was sent: never pass one on.
    const reason = redactIds(raw, known);
    await deps.sendAlert(
      ownerAlertMessage({
        store,
        batchId: event.batchId,
        requestId: event.requestId,
        action: event.action,
        reason,
        subjects: subjects ?? 0,
        manifest: event.manifest,
        deadline: event.deadline,
      }),
    );
    return {
      ...head,
      status: "NEEDS_ATTENTION",
      ...(subjects !== undefined ? { subjects } : {}),
      ...counts,
      reason,
      alerted: true,
      message: `${store.name}: ${reason}; owner ${store.owner} alerted`,
    };
  };

  if (store.kind === "subsystem") {
    const client = deps.subsystem;
    if (!client) throw new Error(`store "${store.name}": no subsystem client`);
    const call = {
      batchId: event.batchId,
      requestId: event.requestId ?? event.batchId,
      deadline: event.deadline,
      fencingToken: event.fencingToken,
    };
    const submit = event.action === "submit" || event.action === "erase";
    let out: SubsystemOutcome;
    if (submit) {
      const values = await ids();
      out = await client.submit(call, values);
    } else {
      out = await client.poll(call);
    }
    const counts = {
      ...(subjects !== undefined ? { subjects } : {}),
      ...(out.erased !== undefined ? { erased: out.erased } : {}),
    };
    if (out.status === "NEEDS_ATTENTION")
      return needsAttention(out.reason ?? "the subsystem did not confirm", counts);
    return {
      ...head,
      status: out.status,
      ...counts,
      ...(out.nextAction ? { nextAction: out.nextAction } : {}),
      ...(out.reason ? { reason: out.reason } : {}),
      message:
        out.status === "COMPLETED"
          ? `${store.name}: done${out.erased !== undefined ? ` (${out.erased} erased)` : ""}`
          : `${store.name}: pending (${out.reason}); call ${out.nextAction} after the wait`,
    };
  }

  const tableStore = deps.tableStore;
  if (!tableStore) throw new Error(`store "${store.name}": no store client`);
  try {
    const values = await ids();
    if (event.action === "find") {
      const r = await tableStore.find(values);
      return {
        ...head,
        status: "OK",
        subjects,
        ...r,
        message: `${store.name}: ${r.count} item(s) of ${subjects} subject(s)`,
      };
    }
    if (event.action === "erase") {
      const r = await tableStore.erase(values, { fencingToken: event.fencingToken ?? 0 });
      return {
        ...head,
        status: "OK",
        subjects,
        ...r,
        message: `${store.name}: ${r.deleted} item(s) deleted`,
      };
    }
    const r = await tableStore.verify(values);
    if (r.remaining > 0)
      return needsAttention(`${r.remaining} item(s) of the batch's subjects remain after erasure`, { ...r });
    return { ...head, status: "COMPLETED", subjects, ...r, message: `${store.name}: nothing left` };
  } catch (error) {
    if (error instanceof StoreError) return needsAttention(error.reason);
    throw error;
  }
}

/** Replaces every occurrence of any of the IDs in a text meant for people (alerts, replies, logs). */
export function redactIds(text: string, ids: readonly string[]): string {
  let out = text;
  for (const id of ids) if (id !== "" && out.includes(id)) out = out.split(id).join("[subject id]");
  return out;
}
