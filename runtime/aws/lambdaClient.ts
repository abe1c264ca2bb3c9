// The Lambda client, built from the same settings as ./clients.ts (AWS_ENDPOINT_URL, region) but in a
// file of its own: only the API function calls other functions, and each zip carries the packages
// of the files it reaches, so no other function carries @aws-sdk/client-lambda.
import { LambdaClient } from "@aws-sdk/client-lambda";
import { AwsClientSettings, resolveClientConfig } from "./clients";

export function makeLambdaClient(settings?: AwsClientSettings): LambdaClient {
  return new LambdaClient(resolveClientConfig(settings));
}
