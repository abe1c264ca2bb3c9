// `lethe requests [--open] [--json]`: the erasure requests with state, deadline and days left,
// overdue first (runtime/erasure/requestList.ts), for the stack given by --stack-outputs / --stack.
import { Command } from "commander";
import { StackFlags, action, examples, jsonOption, stackOptions } from "./command";
import type { ListedRequest } from "../runtime/erasure/requestList";

function daysText(r: ListedRequest): string {
  if (r.daysLeft === null) return "-";
  return r.overdue ? `${-r.daysLeft} overdue` : String(r.daysLeft);
}

/** An ISO time to the minute; "-" for a record that lacks it (written by hand, or by an older version). */
function minutes(iso: string | undefined): string {
  return typeof iso === "string" ? iso.slice(0, 16).replace("T", " ") : "-";
}

/** A table with a header row, columns padded to their widest cell. */
export function requestTable(requests: readonly ListedRequest[]): string {
  const rows = [
    ["request", "state", "received", "deadline", "days left", "subjects"],
    ...requests.map((r) => [
      r.requestId,
      r.status,
      minutes(r.receivedAt),
      minutes(r.deadline),
      daysText(r),
      r.subjectCount === undefined ? "?" : String(r.subjectCount),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

async function requests(o: StackFlags & { open?: boolean; json?: boolean }): Promise<number> {
  const { resolveStackOutputs, requiredOutput, useStackEnvironment } = await import("./work/stackOutputs");
  const { makeDocumentClient } = await import("../runtime/aws/clients");
  const { listRequests } = await import("../runtime/erasure/requestList");
  const resolved = resolveStackOutputs(o);
  const table = requiredOutput(resolved, "requestsTable");
  useStackEnvironment(resolved.outputs);
  const now = new Date();
  const listed = await listRequests(makeDocumentClient(), table, { open: o.open === true, now });
  if (o.json) {
    process.stdout.write(
      JSON.stringify({ at: now.toISOString(), open: o.open === true, requests: listed }, null, 2) + "\n",
    );
    return 0;
  }
  if (listed.length === 0) {
    process.stdout.write(o.open ? "no open requests\n" : "no requests\n");
    return 0;
  }
  const overdue = listed.filter((r) => r.overdue).length;
  process.stdout.write(
    `${requestTable(listed)}\n\n${listed.length} request(s)${overdue ? `, ${overdue} overdue` : ""}\n`,
  );
  return 0;
}

export function registerRequests(program: Command): void {
  examples(
    action(
      stackOptions(
        program
          .command("requests")
          .description("list erasure requests with state, deadline and days left, overdue first")
          .option(
            "--open",
            "only requests the legal clock still runs for (unfinished or waiting for a person)",
          )
          .addOption(jsonOption()),
      ),
      requests,
    ),
    ["lethe requests --open", "lethe requests --stack prod --json | jq '.requests[] | select(.overdue)'"],
  );
}
