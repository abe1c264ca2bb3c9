// Every rule of the Lethe pack, in the order reviewers read them. policies/index.ts serves this list;
// tests and the offline gate import it without starting a policy server.
import { dynamodbRules } from "./dynamodb";
import { s3Rules } from "./s3";
import { lambdaRules } from "./lambda";
import { sqsRules } from "./sqs";
import { snsRules } from "./sns";
import { firehoseRules } from "./firehose";
import { athenaRules } from "./athena";
import { glueRules } from "./glue";
import { kmsRules } from "./kms";
import { logsRules } from "./logs";
import { stackRules } from "./stack";

export const letheRules = [
  ...dynamodbRules,
  ...s3Rules,
  ...lambdaRules,
  ...sqsRules,
  ...snsRules,
  ...firehoseRules,
  ...athenaRules,
  ...glueRules,
  ...kmsRules,
  ...logsRules,
  ...stackRules,
];
