// The emulator `lethe up --local` talks to: checked before anything is sent, so a wrong
// AWS_ENDPOINT_URL fails in a second with its name instead of after the SDK's retries.
import * as http from "node:http";
import * as https from "node:https";
import { UsageError } from "../../runtime/contracts/errors";

/** Fails with a UsageError naming `endpoint` (and where it came from) unless something answers HTTP there. */
export async function checkEndpoint(
  endpoint: string,
  source = "AWS_ENDPOINT_URL",
  timeoutMs = 3000,
): Promise<void> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`${source} '${endpoint}' is not a URL (e.g. http://127.0.0.1:5000)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError(`${source} '${endpoint}' must be an http(s) URL`);
  const problem = await new Promise<string | undefined>((resolve) => {
    const request = (url.protocol === "https:" ? https : http).get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(undefined);
    });
    request.once("timeout", () => {
      request.destroy();
      resolve(`no answer in ${timeoutMs} ms`);
    });
    request.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
  if (problem) throw new UsageError(`no AWS emulator answers at ${endpoint} (${source}): ${problem}`);
}

/** Emulators take any credentials; without any, the SDK would look for an instance role and hang. */
export function defaultLocalCredentials(): void {
  Object.assign(process.env, localCredentialsEnvironment());
}

/** The variables defaultLocalCredentials sets: none when the environment already names credentials. */
export function localCredentialsEnvironment(): Record<string, string> {
  if (process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE) return {};
  return { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing" };
}

/** The error to raise when a call to the emulator failed: a UsageError when it does not speak AWS. */
export function provisioningError(
  endpoint: string,
  what: string,
  err: unknown,
  source = "AWS_ENDPOINT_URL",
): Error {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  // The SDK's name for an answer it could not read as any AWS error.
  if (e?.name === "Unknown" || e?.name === "UnknownError" || e?.message === "UnknownError")
    return new UsageError(
      `${endpoint} (${source}) does not answer like AWS: ${what} got HTTP ${e.$metadata?.httpStatusCode ?? "?"}`,
    );
  return new Error(`${what}: ${e?.message ?? err}`, { cause: err });
}
