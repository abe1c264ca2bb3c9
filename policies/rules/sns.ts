// SNS topics (alerts may quote request IDs) are encrypted with a customer-managed key.
import { customerManagedKeyRule } from "./common";
import { T } from "./types";

export const snsKmsEncryption = customerManagedKeyRule({
  name: "sns-kms-encryption",
  description: "GDPR SNS topics are encrypted with a customer-managed KMS key (not alias/aws/sns).",
  type: T.topic,
  property: "kmsMasterKeyId",
});

export const snsRules = [snsKmsEncryption];
