// CloudWatch log groups may quote request payloads: they expire and are encrypted with our key.
import { customerManagedKeyRule, label, numeric, resourceRule, scopeDefaults } from "./common";
import { T } from "./types";

export const logGroupRetention = resourceRule({
  name: "log-group-retention",
  description:
    "GDPR CloudWatch log groups set a retention (never-expire is not allowed), at most maxRetentionDays.",
  types: [T.logGroup],
  config: {
    maxRetentionDays: {
      type: "integer",
      minimum: 1,
      default: 3653,
      description: "Longest retention accepted, in days.",
    },
  },
  defaults: { ...scopeDefaults, maxRetentionDays: 3653 },
  check(r, cfg, report) {
    const days = numeric(r.props.retentionInDays) ?? 0;
    if (days <= 0) {
      report(`${label(r)} keeps logs forever. Set \`retentionInDays\` (e.g. 90).`);
    } else if (days > cfg.maxRetentionDays) {
      report(
        `${label(r)} keeps logs ${days} days, more than the ${cfg.maxRetentionDays} allowed. Lower \`retentionInDays\`.`,
      );
    }
  },
});

export const logGroupKms = customerManagedKeyRule({
  name: "log-group-kms",
  description: "GDPR CloudWatch log groups are encrypted with a customer-managed KMS key.",
  type: T.logGroup,
  property: "kmsKeyId",
  fixHint: " (the key policy must allow logs.<region>.amazonaws.com)",
});

export const logsRules = [logGroupRetention, logGroupKms];
