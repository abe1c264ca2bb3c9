// `lethe erase|status|approve|reject|cancel`: file an erasure and follow it, against the stack in an
// outputs file (default .lethe/local.json; tools/erasureCommands.ts does the work). Parsing and
// printing only. Exit codes: 0 done (erase --wait: COMPLETED), 1 the erasure did not complete,
// 2 bad input (nothing was changed).
import { parseArgs, ParseArgsConfig } from "node:util";
import { CommandGroup, UsageError } from "./command";
import { defaultStackOutputsFile } from "../tools/invoke";

const outputsOption = { "stack-outputs": { type: "string" } } as const;
const outputsUsage = `[--stack-outputs <file>]`;

function parse(args: string[], options: ParseArgsConfig["options"], usage: string) {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}

function print(value: unknown, json: boolean, text: (v: Record<string, unknown>) => string): void {
  process.stdout.write(
    (json ? JSON.stringify(value, null, 2) : text(value as Record<string, unknown>)) + "\n",
  );
}

const eraseUsage = `lethe erase <id>... [--ids-file <file>] [--reason <text>] [--requested-by <who>] [--wait] [--json] [--drain-seconds <n>] ${outputsUsage}
    file an erasure request for the customer IDs (and the IDs file: one per line, composite keys
    tab-separated) against the stack in the outputs file (default ${defaultStackOutputsFile}); with
    --wait, run its batch to the end (locally in this process) and exit 0 only when it COMPLETED`;

export const eraseCommands: CommandGroup = {
  usage: eraseUsage,
  async run(args) {
    const { values, positionals } = parse(
      args,
      {
        ...outputsOption,
        "ids-file": { type: "string" },
        reason: { type: "string" },
        "requested-by": { type: "string" },
        wait: { type: "boolean" },
        json: { type: "boolean" },
        "drain-seconds": { type: "string" },
      },
      eraseUsage,
    );
    const drain = values["drain-seconds"] === undefined ? 10 : Number(values["drain-seconds"]);
    if (!Number.isInteger(drain) || drain < 0)
      throw new UsageError(
        `--drain-seconds must be a whole number of seconds, got '${values["drain-seconds"]}'`,
      );
    const { erase } = await import("../tools/erasureCommands");
    const result = await erase(
      {
        ids: positionals,
        idsFile: values["ids-file"] as string | undefined,
        reason: values.reason as string | undefined,
        requestedBy: values["requested-by"] as string | undefined,
        wait: values.wait === true,
      },
      {
        stackOutputsFile: values["stack-outputs"] as string | undefined,
        drainSeconds: drain,
        progress: (line) => void process.stderr.write(`lethe erase: ${line}\n`),
      },
    );
    print(result, values.json === true, (r) => {
      const req = r.request as Record<string, unknown>;
      const status = r.status as Record<string, unknown> | undefined;
      return status
        ? `request ${req.requestId}: ${status.state}${status.reason ? ` (${status.reason})` : ""}${status.report ? `; report ${status.report}` : ""}`
        : `request ${req.requestId}: ${req.status}, ${req.subjects} subject(s), deadline ${req.deadline}`;
    });
    return result.ok ? 0 : 1;
  },
};

const statusUsage = `lethe status <requestId> [--json] ${outputsUsage}
    a request's state, deadline, days left, its batch's counts and its report's location`;

export const statusCommands: CommandGroup = {
  usage: statusUsage,
  async run(args) {
    const { values, positionals } = parse(args, { ...outputsOption, json: { type: "boolean" } }, statusUsage);
    if (positionals.length !== 1) throw new UsageError(`name one request\n\n${statusUsage}`);
    const { requestStatusOf } = await import("../tools/erasureCommands");
    const s = await requestStatusOf(positionals[0], { stackOutputsFile: values["stack-outputs"] as string });
    print(s, values.json === true, (v) =>
      [
        `request ${v.requestId}: ${v.state}`,
        `  deadline ${v.deadline} (${v.daysLeft} day(s) left${v.overdue ? ", OVERDUE" : ""})`,
        ...(v.batch
          ? [
              `  batch ${(v.batch as Record<string, unknown>).batchId}: ${(v.batch as Record<string, unknown>).state}`,
            ]
          : []),
        ...(v.report ? [`  report ${v.report}`] : []),
      ].join("\n"),
    );
    return 0;
  },
};

function decisionCommand(decision: "approve" | "reject"): CommandGroup {
  const usage =
    decision === "approve"
      ? `lethe approve <batchId> [--by <who>] ${outputsUsage}\n    approve a batch waiting on its plan: purging starts`
      : `lethe reject <batchId> --reason <text> [--by <who>] ${outputsUsage}\n    reject a batch waiting on its plan: its requests end REJECTED`;
  return {
    usage,
    async run(args) {
      const { values, positionals } = parse(
        args,
        { ...outputsOption, reason: { type: "string" }, by: { type: "string" } },
        usage,
      );
      if (positionals.length !== 1) throw new UsageError(`name one batch\n\n${usage}`);
      if (decision === "reject" && !values.reason)
        throw new UsageError(`reject needs --reason <text>\n\n${usage}`);
      const { decide } = await import("../tools/erasureCommands");
      const reply = (await decide(
        positionals[0],
        decision,
        {
          ...(values.reason ? { reason: values.reason as string } : {}),
          by: (values.by as string | undefined) ?? process.env.USER ?? "cli",
        },
        { stackOutputsFile: values["stack-outputs"] as string | undefined },
      )) as { message: string };
      process.stdout.write(`${reply.message}\n`);
      return 0;
    },
  };
}

export const approveCommands = decisionCommand("approve");
export const rejectCommands = decisionCommand("reject");

const cancelUsage = `lethe cancel <requestId|batchId> [--reason <text>] ${outputsUsage}
    cancel a request not yet batched, or a batch (its execution stops, its requests end CANCELLED)`;

export const cancelCommands: CommandGroup = {
  usage: cancelUsage,
  async run(args) {
    const { values, positionals } = parse(
      args,
      { ...outputsOption, reason: { type: "string" } },
      cancelUsage,
    );
    if (positionals.length !== 1) throw new UsageError(`name one request or batch\n\n${cancelUsage}`);
    const { cancel } = await import("../tools/erasureCommands");
    const reply = (await cancel(positionals[0], values.reason as string | undefined, {
      stackOutputsFile: values["stack-outputs"] as string | undefined,
    })) as { message: string };
    process.stdout.write(`${reply.message}\n`);
    return 0;
  },
};
