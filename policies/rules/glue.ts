// The Glue Data Catalog describes where personal data lives; where a stack manages its encryption
// settings, metadata and connection passwords must be KMS-encrypted.
import { at, isCustomerManagedKey, isTrue, label, resourceRule, scopeDefaults } from "./common";
import { T } from "./types";

export const glueCatalogEncryption = resourceRule({
  name: "glue-catalog-encryption",
  description:
    "Declared Glue Data Catalog encryption settings encrypt metadata at rest (SSE-KMS, customer key) and connection passwords.",
  types: [T.glueCatalogEncryption],
  gdprScoped: false,
  defaults: scopeDefaults,
  check(r, _cfg, report) {
    const s = at(r.props, "dataCatalogEncryptionSettings");
    const problems: string[] = [];
    const atRest = at(s, "encryptionAtRest");
    if (
      at(atRest, "catalogEncryptionMode") !== "SSE-KMS" ||
      !isCustomerManagedKey(at(atRest, "sseAwsKmsKeyId"))
    ) {
      problems.push(
        'set `encryptionAtRest: { catalogEncryptionMode: "SSE-KMS", sseAwsKmsKeyId: <CMK ARN> }`',
      );
    }
    const passwords = at(s, "connectionPasswordEncryption");
    if (
      !isTrue(at(passwords, "returnConnectionPasswordEncrypted")) ||
      !isCustomerManagedKey(at(passwords, "awsKmsKeyId"))
    ) {
      problems.push(
        "set `connectionPasswordEncryption: { returnConnectionPasswordEncrypted: true, awsKmsKeyId: <CMK ARN> }`",
      );
    }
    if (problems.length > 0) {
      report(`${label(r)} leaves the Data Catalog partly unencrypted: ${problems.join("; ")}.`);
    }
  },
});

export const glueRules = [glueCatalogEncryption];
