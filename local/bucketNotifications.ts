// The S3 notifications the program declares (the indexer's, on the lake), delivered by a warm local
// stack: the emulator sends none to functions it does not run, so each notified bucket prefix is
// listed every few seconds and every object that appeared or changed since (ObjectCreated:Put) or
// went (ObjectRemoved:Delete) is sent to the function as the S3 event Lambda would get, one record
// per invocation. Objects there before the stack started are not notified, as S3 notifies none.
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { makeS3Client } from "../runtime/aws/clients";
import type { LocalBucketNotification } from "../runtime/contracts/stack";

export interface NotificationWatcher {
  stop(): Promise<void>;
}

/** `s3:ObjectCreated:*` matches `ObjectCreated:Put`. */
export function notifies(declared: string[], eventName: string): boolean {
  return declared.some((d) => {
    const pattern = d.replace(/^s3:/, "");
    return pattern.endsWith(":*") ? eventName.startsWith(pattern.slice(0, -1)) : pattern === eventName;
  });
}

/** The S3 event record for one object. */
export function s3EventRecord(
  bucket: string,
  key: string,
  eventName: string,
  region: string,
  object: { size?: number; eTag?: string } = {},
): Record<string, unknown> {
  return {
    eventVersion: "2.1",
    eventSource: "aws:s3",
    awsRegion: region,
    eventTime: new Date().toISOString(),
    eventName,
    s3: {
      s3SchemaVersion: "1.0",
      bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
      // S3 sends keys URL-encoded, spaces as '+'.
      object: {
        key: encodeURIComponent(key).replace(/%2F/g, "/").replace(/%20/g, "+"),
        ...(object.size !== undefined ? { size: object.size } : {}),
        ...(object.eTag ? { eTag: object.eTag.replace(/"/g, "") } : {}),
        sequencer: Date.now().toString(16).toUpperCase(),
      },
    },
  };
}

async function listing(
  bucket: string,
  prefix: string,
): Promise<Map<string, { size?: number; eTag?: string }>> {
  const s3 = makeS3Client();
  const out = new Map<string, { size?: number; eTag?: string }>();
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) out.set(o.Key!, { size: o.Size, eTag: o.ETag });
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

export function watchBucketNotifications(
  notifications: LocalBucketNotification[],
  invoke: (functionName: string, event: unknown) => Promise<unknown>,
  options: { region: string; pollMs?: number; onError?: (err: unknown) => void },
): NotificationWatcher {
  let stopped = false;
  const wakers = new Set<() => void>();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => (clearTimeout(t), wakers.delete(wake), resolve());
      const t = setTimeout(wake, ms);
      wakers.add(wake);
    });
  const watch = async (n: LocalBucketNotification) => {
    let seen: Map<string, { size?: number; eTag?: string }> | undefined;
    while (!stopped) {
      try {
        const now = await listing(n.bucket, n.prefix);
        if (seen) {
          const events: [string, string, { size?: number; eTag?: string }][] = [];
          for (const [key, o] of now)
            if (seen.get(key)?.eTag !== o.eTag) events.push([key, "ObjectCreated:Put", o]);
          for (const key of seen.keys()) if (!now.has(key)) events.push([key, "ObjectRemoved:Delete", {}]);
          for (const [key, eventName, o] of events) {
            if (stopped || !notifies(n.events, eventName)) continue;
            await invoke(n.functionName, {
              Records: [s3EventRecord(n.bucket, key, eventName, options.region, o)],
            }).catch((err) => options.onError?.(err));
          }
        }
        seen = now;
      } catch (err) {
        options.onError?.(err);
      }
      await pause(options.pollMs ?? 2000);
    }
  };
  const running = notifications.map(watch);
  return {
    stop: async () => {
      stopped = true;
      for (const wake of wakers) wake();
      await Promise.all(running);
    },
  };
}
