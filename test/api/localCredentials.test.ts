// `lethe api --local` as a newcomer runs it: no AWS account, so no credentials in the environment. The
// server and the functions behind it reach only the emulator and the local Lambda endpoint, which need
// none; and an answer of 500 always leaves a line saying which error it was.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import type { LocalStack } from "../../runtime/contracts/stack";
import { ApiServer, startApiServer } from "../../cli/work/apiServer";
import { sharedLocalStack } from "../support/localStack";

/** The variables through which the SDK's default chain could find credentials, cleared while `run` runs. */
async function withoutCredentials<T>(run: () => Promise<T>): Promise<T> {
  const names = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"];
  const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
  const files = {
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
    AWS_CONFIG_FILE: "/nonexistent/config",
  };
  const savedFiles = Object.fromEntries(Object.keys(files).map((n) => [n, process.env[n]]));
  const imds = process.env.AWS_EC2_METADATA_DISABLED;
  for (const n of names) delete process.env[n];
  Object.assign(process.env, files, { AWS_EC2_METADATA_DISABLED: "true" });
  try {
    return await run();
  } finally {
    for (const [n, v] of Object.entries({ ...saved, ...savedFiles })) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
    if (imds === undefined) delete process.env.AWS_EC2_METADATA_DISABLED;
    else process.env.AWS_EC2_METADATA_DISABLED = imds;
  }
}

describe("lethe api --local without AWS credentials", function () {
  this.timeout(300_000);
  let stack: LocalStack;
  let outputsFile: string;

  before(async () => {
    stack = await sharedLocalStack();
    outputsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lethe-api-creds-")), "local.json");
    fs.writeFileSync(outputsFile, JSON.stringify(stack));
  });

  it("answers the listing and files a request (no CredentialsProviderError), logging no error", async () => {
    const errors: string[] = [];
    await withoutCredentials(async () => {
      const server = await startApiServer({ stackOutputsFile: outputsFile, errors: (l) => errors.push(l) });
      try {
        const list = await fetch(`${server.url}/requests?state=open&limit=1`);
        expect(list.status, await list.text()).to.equal(200);
        const filed = await fetch(`${server.url}/requests`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ customerIds: [`creds-${randomUUID().slice(0, 8)}`], reason: "no account" }),
        });
        expect(filed.status, await filed.text()).to.equal(201);
      } finally {
        await server.close();
      }
    });
    expect(errors).to.deep.equal([]);
  });

  it("a 500 leaves one line with the error's class and message, and no customer ID", async () => {
    const lines: string[] = [];
    const id = `secret-${randomUUID().slice(0, 8)}`;
    const server: ApiServer = await startApiServer({
      stackOutputsFile: outputsFile,
      errors: (l) => lines.push(l),
      call: async () => ({
        ok: false,
        failure: {
          errorType: "CredentialsProviderError",
          errorMessage: "Could not load credentials from any providers",
        },
      }),
    });
    try {
      const r = await fetch(`${server.url}/requests`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ customerIds: [id] }),
      });
      const body = (await r.json()) as { code: string };
      expect(r.status).to.equal(500);
      expect(body.code).to.equal("internal_error");
    } finally {
      await server.close();
    }
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/CredentialsProviderError: Could not load credentials from any providers/);
    expect(lines[0]).to.not.include(id);
  });
});
