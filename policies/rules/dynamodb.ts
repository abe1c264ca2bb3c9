// DynamoDB tables holding personal data: items must expire on their own (TTL), be encrypted with a key
// the customer controls, and be recoverable (PITR) so an erasure can be audited and a mistake undone.
import { isCustomerManagedKey, isTrue, at, label, resourceRule, scopeDefaults, text } from "./common";
import { T } from "./types";

export const dynamodbTtlEnabled = resourceRule({
  name: "dynamodb-ttl-enabled",
  description:
    "GDPR DynamoDB tables enable TTL on a named attribute, so personal data expires when its retention ends.",
  types: [T.table],
  config: {
    ttlAttributeName: {
      type: "string",
      description: 'If set, the attribute TTL must use (e.g. "ttl"); empty accepts any attribute.',
      default: "",
    },
  },
  defaults: { ...scopeDefaults, ttlAttributeName: "" },
  check(r, cfg, report) {
    const attribute = text(at(r.props, "ttl", "attributeName"));
    if (!isTrue(at(r.props, "ttl", "enabled")) || !attribute) {
      report(
        `${label(r)} has no TTL: items holding personal data never expire. ` +
          `Set \`ttl: { attributeName: "${cfg.ttlAttributeName || "ttl"}", enabled: true }\` and write an epoch-seconds expiry on each item.`,
      );
    } else if (cfg.ttlAttributeName && attribute !== cfg.ttlAttributeName) {
      report(
        `${label(r)} expires items on "${attribute}" but this pack expects "${cfg.ttlAttributeName}". ` +
          `Use \`ttl.attributeName: "${cfg.ttlAttributeName}"\` or change the rule's ttlAttributeName.`,
      );
    }
  },
});

export const dynamodbCmkEncryption = resourceRule({
  name: "dynamodb-cmk-encryption",
  description:
    "GDPR DynamoDB tables are encrypted with a customer-managed KMS key, not the AWS-owned default.",
  types: [T.table],
  defaults: scopeDefaults,
  check(r, _cfg, report) {
    const sse = at(r.props, "serverSideEncryption");
    if (!isTrue(at(sse, "enabled")) || !isCustomerManagedKey(at(sse, "kmsKeyArn"))) {
      report(
        `${label(r)} is not encrypted with a customer-managed KMS key (it uses the AWS-owned key). ` +
          "Set `serverSideEncryption: { enabled: true, kmsKeyArn: <your CMK's ARN> }`.",
      );
    }
  },
});

export const dynamodbPointInTimeRecovery = resourceRule({
  name: "dynamodb-point-in-time-recovery",
  description:
    "GDPR DynamoDB tables have point-in-time recovery on, so a wrong erasure can be undone and audited.",
  types: [T.table],
  defaults: scopeDefaults,
  check(r, _cfg, report) {
    if (!isTrue(at(r.props, "pointInTimeRecovery", "enabled"))) {
      report(`${label(r)} has point-in-time recovery off. Set \`pointInTimeRecovery: { enabled: true }\`.`);
    }
  },
});

export const dynamodbRules = [dynamodbTtlEnabled, dynamodbCmkEncryption, dynamodbPointInTimeRecovery];
