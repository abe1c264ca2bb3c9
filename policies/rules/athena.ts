// Athena query results can hold customer IDs: the workgroup must force its settings on every query
// and encrypt the results with KMS.
import { at, isTrue, label, resourceRule, scopeDefaults, text } from "./common";
import { T } from "./types";

export const athenaWorkgroupEnforced = resourceRule({
  name: "athena-workgroup-enforced",
  description:
    "GDPR Athena workgroups enforce their configuration, so a client cannot send results elsewhere unencrypted.",
  types: [T.workgroup],
  defaults: scopeDefaults,
  check(r, _cfg, report) {
    // AWS defaults enforceWorkgroupConfiguration to true, but only when a configuration block is declared.
    const configuration = at(r.props, "configuration");
    const enforced = at(configuration, "enforceWorkgroupConfiguration");
    if (configuration === undefined || (enforced !== undefined && !isTrue(enforced))) {
      report(
        `${label(r)} does not enforce its configuration: clients may override the result location and encryption. ` +
          "Set `configuration: { enforceWorkgroupConfiguration: true, ... }`.",
      );
    }
  },
});

export const athenaResultsEncrypted = resourceRule({
  name: "athena-results-encrypted",
  description: "GDPR Athena workgroups encrypt query results with KMS (SSE_KMS or CSE_KMS and a key).",
  types: [T.workgroup],
  defaults: scopeDefaults,
  check(r, _cfg, report) {
    const enc = at(r.props, "configuration", "resultConfiguration", "encryptionConfiguration");
    const option = text(at(enc, "encryptionOption"));
    if (!option || !option.endsWith("_KMS") || !text(at(enc, "kmsKeyArn"))) {
      report(
        `${label(r)} does not encrypt query results with a KMS key${option ? ` (found ${option})` : ""}. Set ` +
          '`configuration.resultConfiguration.encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: <CMK ARN> }`.',
      );
    }
  },
});

export const athenaRules = [athenaWorkgroupEnforced, athenaResultsEncrypted];
