// Policy pack config files (`--policy-pack-config` format) checked against the pack's own schemas and
// completed with their defaults, as the gate sends them in `Configure`.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { letheRules } from "../../policies/rules";
import { effectiveConfig } from "../../cli/work/policy/packConfig";
import type { PackInfo } from "../../cli/work/policy/analyzerClient";
import { UsageError } from "../../runtime/contracts/errors";

const info: PackInfo = {
  name: "lethe-gdpr",
  version: "0.1.0",
  supportsConfig: true,
  policies: letheRules.map((p) => ({
    name: p.name,
    description: p.description,
    enforcementLevel: p.enforcementLevel ?? "advisory",
    configSchema: p.configSchema
      ? { properties: p.configSchema.properties as Record<string, Record<string, unknown>>, required: [] }
      : undefined,
  })),
};

function file(content: unknown): string {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lethe-cfg-")), "config.json");
  fs.writeFileSync(f, typeof content === "string" ? content : JSON.stringify(content));
  return f;
}

describe("policy pack config", () => {
  it("every rule is mandatory by default, with a kebab-case name, a description and scope settings", () => {
    const c = effectiveConfig(info);
    expect(Object.keys(c)).to.have.length(26);
    for (const p of letheRules) {
      expect(p.name).to.match(/^[a-z0-9]+(-[a-z0-9]+)+$/);
      expect(p.description.length, p.name).to.be.greaterThan(40);
      expect(c[p.name].enforcementLevel, p.name).to.equal("mandatory");
    }
    expect(c["s3-noncurrent-version-expiry"].properties).to.deep.equal({
      gdprTagKey: "gdpr",
      exemptResources: [],
      erasureDeadlineDays: 30,
    });
  });

  it("accepts the example config shipped with the pack", () => {
    const c = effectiveConfig(info, path.join(__dirname, "../../policies/config.example.json"));
    expect(c["log-group-retention"].properties.maxRetentionDays).to.equal(2192);
  });

  it("applies `all`, then per-policy levels and settings", () => {
    const c = effectiveConfig(
      info,
      file({
        all: "advisory",
        "kms-key-rotation": "disabled",
        "dynamodb-ttl-enabled": { enforcementLevel: "mandatory", ttlAttributeName: "expiresAt" },
      }),
    );
    expect(c["sqs-kms-encryption"].enforcementLevel).to.equal("advisory");
    expect(c["kms-key-rotation"].enforcementLevel).to.equal("disabled");
    expect(c["dynamodb-ttl-enabled"]).to.deep.include({ enforcementLevel: "mandatory" });
    expect(c["dynamodb-ttl-enabled"].properties.ttlAttributeName).to.equal("expiresAt");
  });

  for (const [content, message] of [
    ["{ not json", /is not valid JSON/],
    [{ "no-such-rule": "advisory" }, /no policy named "no-such-rule"/],
    [{ all: "loud" }, /all: enforcement level must be one of advisory, mandatory, remediate, disabled/],
    [
      { "s3-noncurrent-version-expiry": { erasureDeadlineDays: 0 } },
      /erasureDeadlineDays: must be at least 1, got 0/,
    ],
    [{ "s3-noncurrent-version-expiry": { erasureDays: 30 } }, /has no setting "erasureDays"/],
    [{ "gdpr-tag-required": { exemptTypes: [1] } }, /exemptTypes\[0\]: expected string, got 1/],
  ] as const) {
    it(`rejects ${JSON.stringify(content)}`, () => {
      expect(() => effectiveConfig(info, file(content))).to.throw(UsageError, message);
    });
  }
});
