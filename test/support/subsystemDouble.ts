// A local HTTP test double of an external subsystem (the protocol of docs/stores.md) on 127.0.0.1 and
// a random port: it checks every request's signature and timestamp, honours Idempotency-Key, and
// behaves as told: `sync` (done at once), `async` (pending for `pollsUntilDone` polls, then done),
// `failing` (answers failed), `never` (pending for ever). Only tests use it.
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { timingSafeEqual } from "node:crypto";
import { signatureHeaders, signRequest } from "../../runtime/stores/subsystem";

export type DoubleBehaviour = "sync" | "async" | "failing" | "never";

export interface SubsystemDoubleOptions {
  behaviour: DoubleBehaviour;
  secret: string;
  /** async: polls answered pending before the one answered done (default 2). */
  pollsUntilDone?: number;
  /** Seconds a request's timestamp may differ from the double's clock (default 300). */
  toleranceSeconds?: number;
}

interface Job {
  subjects: number;
  polls: number;
}

export interface SubsystemDouble {
  url: string;
  /** Requests by outcome: accepted (signature valid) and rejected (401). */
  accepted: number;
  rejected: number;
  /** Jobs by idempotency key: how many subjects each was sent and how often it was polled. */
  jobs: Map<string, Job>;
  /** POSTs that created a job (a repeated Idempotency-Key creates none). */
  jobsCreated: number;
  close(): Promise<void>;
}

export async function startSubsystemDouble(options: SubsystemDoubleOptions): Promise<SubsystemDouble> {
  const tolerance = options.toleranceSeconds ?? 300;
  const pollsUntilDone = options.pollsUntilDone ?? 2;
  const state = { accepted: 0, rejected: 0, jobsCreated: 0, jobs: new Map<string, Job>() };

  const answer = (res: ServerResponse, status: number, body: object): void => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const signatureValid = (req: IncomingMessage, body: string): boolean => {
    const timestamp = String(req.headers[signatureHeaders.timestamp.toLowerCase()] ?? "");
    const given = String(req.headers[signatureHeaders.signature.toLowerCase()] ?? "");
    if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > tolerance) return false;
    const expected = signRequest(options.secret, req.method ?? "", req.url ?? "", timestamp, body);
    return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
  };
  const status = (job: Job): object => {
    if (options.behaviour === "failing") return { status: "failed", reason: "the test double always fails" };
    if (options.behaviour === "sync") return { status: "done", erased: job.subjects };
    if (options.behaviour === "async" && job.polls > pollsUntilDone)
      return { status: "done", erased: job.subjects };
    return { status: "pending" };
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      if (!signatureValid(req, body)) {
        state.rejected++;
        return answer(res, 401, { status: "failed", reason: "bad signature" });
      }
      state.accepted++;
      const key = String(req.headers[signatureHeaders.idempotencyKey.toLowerCase()] ?? "");
      if (req.method === "POST" && req.url === "/erasures") {
        let job = state.jobs.get(key);
        if (!job) {
          const parsed = JSON.parse(body) as { subjects?: unknown[] };
          job = { subjects: parsed.subjects?.length ?? 0, polls: 0 };
          state.jobs.set(key, job);
          state.jobsCreated++;
        }
        const s = status(job) as { status: string };
        return answer(res, s.status === "pending" ? 202 : s.status === "failed" ? 422 : 200, s);
      }
      const m = /^\/erasures\/([^/]+)$/.exec(req.url ?? "");
      if (req.method === "GET" && m) {
        const job = state.jobs.get(decodeURIComponent(m[1]));
        if (!job) return answer(res, 404, { status: "failed", reason: "unknown request" });
        job.polls++;
        return answer(res, 200, status(job));
      }
      return answer(res, 404, { status: "failed", reason: "no such endpoint" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return state.accepted;
    },
    get rejected() {
      return state.rejected;
    },
    get jobsCreated() {
      return state.jobsCreated;
    },
    jobs: state.jobs,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
