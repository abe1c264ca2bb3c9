// SNS topics (alerts may quote request IDs) are encrypted with a customer-managed key.
import { isCustomerManagedKey, label, resourceRule, scopeDefaults } from "./common";
import { T } from "./types";

export const snsKmsEncryption = resourceRule({
  name: "sns-kms-encryption",
  description: "GDPR SNS topics are encrypted with a customer-managed KMS key (not alias/aws/sns).",
  types: [T.topic],
  defaults: scopeDefaults,
  check(r, _cfg, report) {
    if (!isCustomerManagedKey(r.props.kmsMasterKeyId)) {
      report(
        `${label(r)} is not encrypted with a customer-managed KMS key. Set \`kmsMasterKeyId: <CMK ARN>\`.`,
      );
    }
  },
});

export const snsRules = [snsKmsEncryption];
