// One tag set for every Lethe resource. `gdpr: "true"` marks what holds or touches personal data;
// the policy pack keys its GDPR rules on it.
export type Tags = Record<string, string>;

export const gdprTagKey = "gdpr";

export function letheTags(stack: string, extra: Tags = {}): Tags {
  return { project: "lethe", stack, [gdprTagKey]: "true", "managed-by": "pulumi", ...extra };
}
