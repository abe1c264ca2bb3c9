// `lethe audit verify <requestId>`: checks a request's audit trail is the chain it was written as
// (each entry holds the hash of the one before it) and names the first entry that does not fit.
// Parsing and printing only; the work is cli/work/auditVerify.ts.
import { Command } from "commander";
import { StackFlags, action, examples, exitCodes, jsonOption, stackOptions } from "./command";

interface AuditVerifyOptions extends StackFlags {
  json?: boolean;
}

async function auditVerifyCommand(requestId: string, o: AuditVerifyOptions): Promise<number> {
  const { verifyAuditTrail } = await import("./work/auditVerify");
  const r = await verifyAuditTrail(requestId, { stackOutputs: o.stackOutputs, stack: o.stack });
  if (o.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  } else if (r.broken) {
    process.stdout.write(
      `BROKEN: the audit trail of ${requestId} (${r.entries} entries) is intact up to entry ${r.broken.index}; ` +
        `entry ${r.broken.index + 1} (${r.broken.step} at ${r.broken.at.split("#")[0]}) does not fit: ${r.broken.problem}\n`,
    );
  } else {
    process.stdout.write(
      `INTACT: the audit trail of ${requestId}: ${r.entries} entries, each holding the hash of the one before, head ${r.head}\n`,
    );
    if (r.report)
      process.stdout.write(
        r.report.found
          ? `  its signed report holds the head of its first ${r.report.entries} entries (${r.report.head}): they are the ones the report was signed over\n`
          : `  BUT its signed report holds head ${r.report.head} after ${r.report.entries} entries, which this trail does not reach: entries were changed or removed since the report\n`,
      );
  }
  return r.ok ? exitCodes.ok : exitCodes.failure;
}

export function registerAudit(program: Command): void {
  const audit = program.command("audit").description("a request's audit trail (hashed identifiers only)");
  examples(
    action(
      stackOptions(
        audit
          .command("verify")
          .description(
            "walk a request's audit trail, check each entry holds the hash of the one before (and its report's head), name the first that does not fit",
          )
          .argument("<requestId>", "the request")
          .addOption(jsonOption()),
      ),
      auditVerifyCommand,
    ),
    ["lethe audit verify 5f0c…", "lethe audit verify 5f0c… --stack prod --json"],
    "0 the chain is intact; 1 an entry does not fit (named); 2 usage error (unknown request)",
  );
}
