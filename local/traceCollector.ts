// Where a local stack's traces go: a small X-Ray daemon on loopback (UDP, the daemon's protocol: a
// `{"format":"json","version":1}` header line, then one segment or subsegment document per datagram)
// that appends each document as a JSON line to <dir>/<trace id>.jsonl. Point a function's X-Ray SDK at
// it with AWS_XRAY_DAEMON_ADDRESS (`address`); read one erasure's trace with `readTrace`.
import * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as path from "node:path";

export const defaultTraceDir = path.join(".lethe", "traces");

/** One X-Ray segment or subsegment document, as the SDK sends it. */
export interface TraceDocument {
  trace_id: string;
  id: string;
  name: string;
  type?: "subsegment";
  parent_id?: string;
  start_time: number;
  end_time?: number;
  error?: boolean;
  fault?: boolean;
  annotations?: Record<string, string | number | boolean>;
  metadata?: Record<string, unknown>;
  subsegments?: TraceDocument[];
  [key: string]: unknown;
}

export interface TraceCollector {
  /** host:port, for AWS_XRAY_DAEMON_ADDRESS. */
  address: string;
  dir: string;
  /** Documents received so far. */
  received(): number;
  close(): Promise<void>;
}

/** Parses one datagram: the header line, then the document (undefined for anything else). */
export function parseDatagram(message: Buffer): TraceDocument | undefined {
  const text = message.toString("utf8");
  const newline = text.indexOf("\n");
  if (newline < 0) return undefined;
  try {
    const header = JSON.parse(text.slice(0, newline)) as { format?: string };
    if (header.format !== "json") return undefined;
    const doc = JSON.parse(text.slice(newline + 1)) as TraceDocument;
    return typeof doc.trace_id === "string" && /^[0-9a-f-]+$/i.test(doc.trace_id) ? doc : undefined;
  } catch {
    return undefined;
  }
}

export async function startTraceCollector(dir = defaultTraceDir): Promise<TraceCollector> {
  fs.mkdirSync(dir, { recursive: true });
  const socket = dgram.createSocket("udp4");
  let count = 0;
  socket.on("message", (message) => {
    const doc = parseDatagram(message);
    if (!doc) return;
    count++;
    fs.appendFileSync(path.join(dir, `${doc.trace_id}.jsonl`), `${JSON.stringify(doc)}\n`);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  return {
    address: `127.0.0.1:${port}`,
    dir,
    received: () => count,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** Every document of one trace, flattened (nested subsegments included), in the order received. */
export function readTrace(dir: string, traceId: string): TraceDocument[] {
  const file = path.join(dir, `${traceId}.jsonl`);
  if (!fs.existsSync(file)) return [];
  const flat: TraceDocument[] = [];
  const walk = (doc: TraceDocument, parent?: string) => {
    flat.push({ ...doc, trace_id: doc.trace_id ?? traceId, ...(parent ? { parent_id: parent } : {}) });
    for (const sub of doc.subsegments ?? []) walk({ ...sub, trace_id: doc.trace_id }, doc.id);
  };
  for (const line of fs.readFileSync(file, "utf8").split("\n").filter(Boolean)) walk(JSON.parse(line));
  return flat;
}

/** A new X-Ray trace header (Root, Parent, sampled), as Lambda gives a function in _X_AMZN_TRACE_ID. */
export function newTraceHeader(parent = randomHex(16)): { root: string; header: string } {
  const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomHex(24)}`;
  return { root, header: `Root=${root};Parent=${parent};Sampled=1` };
}

function randomHex(n: number): string {
  return [...crypto.getRandomValues(new Uint8Array(n / 2))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

export interface LocalTrace {
  traceId: string;
  /** The trace's file (.lethe/traces/<trace id>.jsonl). */
  file: string;
  /** Writes the root segment, waits for segments in flight, stops the collector. */
  end(failed?: boolean): Promise<void>;
}

/**
 * Opens one trace for a local command (`lethe erase`): a collector, and the header every packaged
 * function loaded from now on runs under (local/program/packaging.ts reads LETHE_TRACE_*), its
 * invocations subsegments of the root segment `name`.
 */
export async function openLocalTrace(name: string, dir = defaultTraceDir): Promise<LocalTrace> {
  const collector = await startTraceCollector(dir);
  const rootId = randomHex(16);
  const { root, header } = newTraceHeader(rootId);
  const started = Date.now() / 1000;
  const before = {
    address: process.env.LETHE_TRACE_DAEMON_ADDRESS,
    header: process.env.LETHE_TRACE_HEADER,
  };
  process.env.LETHE_TRACE_DAEMON_ADDRESS = collector.address;
  process.env.LETHE_TRACE_HEADER = header;
  const file = path.join(dir, `${root}.jsonl`);
  return {
    traceId: root,
    file,
    end: async (failed = false) => {
      const restore = (k: string, v: string | undefined) => {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      };
      restore("LETHE_TRACE_DAEMON_ADDRESS", before.address);
      restore("LETHE_TRACE_HEADER", before.header);
      const rootSegment: TraceDocument = {
        trace_id: root,
        id: rootId,
        name,
        start_time: started,
        end_time: Date.now() / 1000,
        ...(failed ? { error: true } : {}),
      };
      fs.appendFileSync(file, `${JSON.stringify(rootSegment)}\n`);
      // UDP datagrams still on their way.
      await new Promise((r) => setTimeout(r, 300));
      await collector.close();
    },
  };
}
