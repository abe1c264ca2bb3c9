// The Lethe CrossGuard policy pack. Constructing a PolicyPack starts the analyzer's gRPC server (the
// Pulumi CLI, or `lethe policy check`, talks to it), so this file does nothing else: rules live in ./rules.
import { PolicyPack } from "@pulumi/policy";
import { letheRules } from "./rules";

new PolicyPack("lethe-gdpr", {
  description:
    "Lethe: TTL, customer-managed encryption, dead-letter paths and least privilege on every GDPR resource.",
  enforcementLevel: "mandatory",
  policies: letheRules,
});
