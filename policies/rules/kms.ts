// Customer-managed keys rotate their material yearly (symmetric keys; asymmetric and HMAC keys cannot).
import { isTrue, label, resourceRule, scopeDefaults, text } from "./common";
import { T } from "./types";

export const kmsKeyRotation = resourceRule({
  name: "kms-key-rotation",
  description: "Symmetric customer-managed KMS keys have automatic rotation on.",
  types: [T.kmsKey],
  gdprScoped: false,
  defaults: scopeDefaults,
  check(r, _cfg, report) {
    const spec = text(r.props.customerMasterKeySpec) ?? text(r.props.keySpec) ?? "SYMMETRIC_DEFAULT";
    if (spec === "SYMMETRIC_DEFAULT" && !isTrue(r.props.enableKeyRotation)) {
      report(`${label(r)} does not rotate its key material. Set \`enableKeyRotation: true\`.`);
    }
  },
});

export const kmsRules = [kmsKeyRotation];
