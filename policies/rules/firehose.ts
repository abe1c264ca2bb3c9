// Firehose streams carry raw events into the lake: encrypted in the stream and in what they write.
import { at, isCustomerManagedKey, isTrue, label, resourceRule, scopeDefaults } from "./common";
import { T } from "./types";

export const firehoseEncryption = resourceRule({
  name: "firehose-encryption",
  description:
    "GDPR Firehose streams encrypt records at rest with a customer-managed key, and their S3 destination writes with a KMS key.",
  types: [T.firehose],
  defaults: scopeDefaults,
  check(r, _cfg, report) {
    const problems: string[] = [];
    // A stream reading from Kinesis inherits that stream's encryption and cannot set its own.
    if (at(r.props, "kinesisSourceConfiguration") === undefined) {
      const sse = at(r.props, "serverSideEncryption");
      if (
        !isTrue(at(sse, "enabled")) ||
        at(sse, "keyType") !== "CUSTOMER_MANAGED_CMK" ||
        !isCustomerManagedKey(at(sse, "keyArn"))
      ) {
        problems.push(
          'set `serverSideEncryption: { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn: <CMK ARN> }`',
        );
      }
    }
    const s3 = at(r.props, "extendedS3Configuration") ?? at(r.props, "s3Configuration");
    if (s3 !== undefined && !isCustomerManagedKey(at(s3, "kmsKeyArn"))) {
      problems.push("set `kmsKeyArn: <CMK ARN>` on its S3 destination configuration");
    }
    if (problems.length > 0) {
      report(`${label(r)} is not fully encrypted with a customer-managed key: ${problems.join("; ")}.`);
    }
  },
});

export const firehoseRules = [firehoseEncryption];
