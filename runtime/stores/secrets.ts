// Secrets from Secrets Manager, read once per cold start and kept in the closure of the handler that
// made the reader (runtime code holds no module-level state). `refresh` reads a secret again: a store
// calls it when the credentials it holds are refused, so a rotated secret takes effect at once.
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

export interface SecretReader {
  get(secretId: string): Promise<string>;
  refresh(secretId: string): Promise<string>;
}

export class SecretError extends Error {
  constructor(
    readonly secretId: string,
    reason: string,
  ) {
    super(`secret ${secretId}: ${reason}`);
    this.message = `secret ${secretId}: ${reason}`;
    this.name = "SecretError";
  }
}

export function secretReader(client: SecretsManagerClient): SecretReader {
  const cache = new Map<string, Promise<string>>();
  const read = (secretId: string): Promise<string> => {
    const value = client.send(new GetSecretValueCommand({ SecretId: secretId })).then(
      (out) => {
        if (typeof out.SecretString !== "string" || out.SecretString === "")
          throw new SecretError(secretId, "has no string value (binary secrets are not supported)");
        return out.SecretString;
      },
      (error: { name?: string; message?: string }) => {
        if (error.name === "ResourceNotFoundException")
          throw new SecretError(
            secretId,
            "does not exist in Secrets Manager (or this function may not read it)",
          );
        if (error.name === "AccessDeniedException")
          throw new SecretError(secretId, "this function may not read it (AccessDenied)");
        throw new SecretError(
          secretId,
          `could not be read: ${error.name ?? "Error"}: ${error.message ?? ""}`,
        );
      },
    );
    cache.set(secretId, value);
    // A failed read is not cached: the next call asks again.
    value.catch(() => {
      if (cache.get(secretId) === value) cache.delete(secretId);
    });
    return value;
  };
  return {
    get: (secretId) => cache.get(secretId) ?? read(secretId),
    refresh: (secretId) => read(secretId),
  };
}
