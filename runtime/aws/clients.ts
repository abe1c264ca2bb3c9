// The one place AWS SDK v3 clients are built. Every client takes its endpoint from AWS_ENDPOINT_URL
// when set (moto, LocalStack), so the same code runs against an emulator or a real account; a
// service-specific AWS_ENDPOINT_URL_<SERVICE> (the SDKs' standard name) wins for that service, which
// is how local mode serves what the emulator cannot run (Lambda Invoke of packaged functions).
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SNSClient } from "@aws-sdk/client-sns";
import { AthenaClient } from "@aws-sdk/client-athena";
import { FirehoseClient } from "@aws-sdk/client-firehose";
import { GlueClient } from "@aws-sdk/client-glue";
import { KMSClient } from "@aws-sdk/client-kms";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SFNClient } from "@aws-sdk/client-sfn";
import { traced } from "./tracing";

export interface AwsClientSettings {
  /** Overrides AWS_ENDPOINT_URL. */
  endpoint?: string;
  /** Overrides AWS_REGION / AWS_DEFAULT_REGION. */
  region?: string;
  /** SDK retry budget (default 3, the SDK's own). */
  maxAttempts?: number;
}

export interface ResolvedClientConfig {
  region: string;
  endpoint?: string;
  maxAttempts?: number;
  /** Static dummy credentials for an emulator on loopback when the environment names none. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** What an emulator accepts: it checks no signature, and local mode must not need an AWS account. */
export const localCredentials = { accessKeyId: "testing", secretAccessKey: "testing" } as const;

/** An endpoint on this machine (an emulator or a local server), never an AWS region's. */
export function isLocalEndpoint(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  try {
    const host = new URL(endpoint).hostname;
    return host === "localhost" || host === "[::1]" || host === "::1" || /^127\./.test(host);
  } catch {
    return false;
  }
}

export function resolveClientConfig(
  settings: AwsClientSettings = {},
  /** The service's endpoint variable suffix (`LAMBDA` reads AWS_ENDPOINT_URL_LAMBDA first). */
  service?: string,
): ResolvedClientConfig {
  const endpoint =
    settings.endpoint ??
    (service ? emptyToUndefined(process.env[`AWS_ENDPOINT_URL_${service}`]) : undefined) ??
    emptyToUndefined(process.env.AWS_ENDPOINT_URL);
  const region =
    settings.region ??
    emptyToUndefined(process.env.AWS_REGION) ??
    emptyToUndefined(process.env.AWS_DEFAULT_REGION) ??
    "eu-west-1";
  // The SDK's default chain would fail (CredentialsProviderError) where no AWS account is set up.
  const local = isLocalEndpoint(endpoint) && !emptyToUndefined(process.env.AWS_ACCESS_KEY_ID);
  return {
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(settings.maxAttempts ? { maxAttempts: settings.maxAttempts } : {}),
    ...(local ? { credentials: { ...localCredentials } } : {}),
  };
}

function emptyToUndefined(v: string | undefined): string | undefined {
  return v && v.trim() !== "" ? v : undefined;
}

export function makeS3Client(settings?: AwsClientSettings): S3Client {
  const config = resolveClientConfig(settings);
  // Emulators on 127.0.0.1 cannot serve virtual-hosted bucket names.
  return traced(new S3Client({ ...config, forcePathStyle: config.endpoint !== undefined }));
}

export function makeDynamoDbClient(settings?: AwsClientSettings): DynamoDBClient {
  return traced(new DynamoDBClient(resolveClientConfig(settings)));
}

export function makeDocumentClient(
  settings?: AwsClientSettings,
  client?: DynamoDBClient,
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client ?? makeDynamoDbClient(settings), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function makeSqsClient(settings?: AwsClientSettings): SQSClient {
  return traced(new SQSClient(resolveClientConfig(settings)));
}

export function makeSnsClient(settings?: AwsClientSettings): SNSClient {
  return traced(new SNSClient(resolveClientConfig(settings)));
}

export function makeAthenaClient(settings?: AwsClientSettings): AthenaClient {
  return traced(new AthenaClient(resolveClientConfig(settings)));
}

export function makeFirehoseClient(settings?: AwsClientSettings): FirehoseClient {
  return traced(new FirehoseClient(resolveClientConfig(settings)));
}

export function makeGlueClient(settings?: AwsClientSettings): GlueClient {
  return traced(new GlueClient(resolveClientConfig(settings)));
}

export function makeKmsClient(settings?: AwsClientSettings): KMSClient {
  return traced(new KMSClient(resolveClientConfig(settings)));
}

export function makeSecretsManagerClient(settings?: AwsClientSettings): SecretsManagerClient {
  return traced(new SecretsManagerClient(resolveClientConfig(settings)));
}

export function makeLambdaClient(settings?: AwsClientSettings): LambdaClient {
  return traced(new LambdaClient(resolveClientConfig(settings, "LAMBDA")));
}

export function makeSfnClient(settings?: AwsClientSettings): SFNClient {
  return traced(new SFNClient(resolveClientConfig(settings, "SFN")));
}
