// When a store cannot confirm an erasure, its owner hears it: one SNS message on Lethe's alert topic
// naming the store, its owner, the reason and what to do by hand. The message carries counts, the
// batch and the manifest's location (readable by the erasure operators), never a subject's ID.
// Message attributes (`store`, `owner`, `kind`) let an owner's subscription filter for its own stores.
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { ManifestRef } from "../contracts/messages";
import { StoreConfig } from "../contracts/stores";

export interface OwnerAlertFacts {
  store: StoreConfig;
  batchId: string;
  requestId?: string;
  action: string;
  reason: string;
  subjects: number;
  manifest: ManifestRef;
  deadline?: string;
}

export interface OwnerAlert {
  subject: string;
  message: string;
  attributes: Record<string, string>;
}

function byHand(f: OwnerAlertFacts, manifest: string): string[] {
  const s = f.store;
  const rerun = `Then re-run the store's ${f.action === "verify" ? "verify" : "erase"} for batch ${f.batchId} (function event {"batchId": "${f.batchId}", "action": "${f.action}", "store": "${s.name}", "manifest": ...}).`;
  if (s.kind === "dynamodb") {
    const where = s.indexName ? `index ${s.indexName} of table ${s.table}` : `table ${s.table}`;
    return [
      `Fix the cause (throttling: raise the table's capacity or wait; a missing table or index: correct lethe:stores).`,
      `Or by hand: for each ID in ${manifest}, Query ${where} on ${s.idAttribute} and delete the items found.`,
      rerun,
    ];
  }
  if (s.kind === "postgres") {
    const tables = s.tables.flatMap((t) => [...(t.children ?? []).map((c) => c.table), t.table]).join(", ");
    return [
      `Nothing was erased: the batch's transaction was rolled back.`,
      `Fix the cause (a statement timeout: add an index on the ID column or raise statementTimeoutMs; a missing table or column: correct lethe:stores).`,
      `Or by hand, in one transaction, delete the rows of the IDs in ${manifest} from ${tables} (children first).`,
      rerun,
    ];
  }
  return [
    `Ask the ${s.name} team (${s.owner}) to erase the ${f.subjects} subject(s) listed in ${manifest} (${s.url}), ` +
      `idempotency key ${f.requestId ?? f.batchId}, and to confirm when done.`,
    `If their endpoint was down or refused the signature, fix it and submit again: the same key cannot erase twice.`,
    `When they confirm, record the outcome for batch ${f.batchId} with the Lethe operators.`,
  ];
}

/** The alert for one store that did not confirm erasure (pure: tested without SNS). */
export function ownerAlertMessage(f: OwnerAlertFacts): OwnerAlert {
  const s = f.store;
  const manifest = `s3://${f.manifest.bucket}/${f.manifest.key}${f.manifest.versionId ? ` (version ${f.manifest.versionId})` : ""}`;
  const lines = [
    `Lethe could not confirm the erasure of ${f.subjects} subject(s) in store "${s.name}" (${s.kind}).`,
    `Owner: ${s.owner}`,
    `Batch: ${f.batchId}${f.requestId ? `, request ${f.requestId}` : ""}; step: ${f.action}` +
      (f.deadline ? `; erasure deadline ${f.deadline}` : ""),
    `Reason: ${f.reason}`,
    `The request stays NEEDS_ATTENTION until this store is erased.`,
    ``,
    `What to do by hand:`,
    ...byHand(f, manifest).map((l) => `- ${l}`),
  ];
  return {
    subject: `Lethe: store ${s.name} needs attention (batch ${f.batchId})`.slice(0, 100),
    message: lines.join("\n"),
    attributes: { store: s.name, owner: s.owner, kind: s.kind, batchId: f.batchId },
  };
}

export async function publishOwnerAlert(
  sns: SNSClient,
  topicArn: string,
  alert: OwnerAlert,
): Promise<string> {
  const out = await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: alert.subject,
      Message: alert.message,
      MessageAttributes: Object.fromEntries(
        Object.entries(alert.attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }]),
      ),
    }),
  );
  return out.MessageId ?? "";
}
