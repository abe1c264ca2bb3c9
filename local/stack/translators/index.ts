// Every resource type `lethe up --local` makes in the emulator, one entry each. A type not listed
// here is not emulated (IAM, Lambda, logs, alarms, schedules, dashboards, Firehose) and is reported as skipped.
import type { ResourceTranslator } from "../context";
import { athenaTranslators } from "./athena";
import { dynamodbTranslators } from "./dynamodb";
import { glueTranslators } from "./glue";
import { kmsTranslators } from "./kms";
import { s3Translators } from "./s3";
import { snsTranslators } from "./sns";
import { sqsTranslators } from "./sqs";
import { sfnTranslators } from "./sfn";

export const translators: Record<string, ResourceTranslator> = {
  ...kmsTranslators,
  ...s3Translators,
  ...dynamodbTranslators,
  ...sqsTranslators,
  ...snsTranslators,
  ...glueTranslators,
  ...athenaTranslators,
  ...sfnTranslators,
};
