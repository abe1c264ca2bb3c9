// The Lethe Pulumi program: read and validate the stack's settings once, build the stack, export
// what a reviewer of `pulumi preview` needs to see.
import { readLetheConfig } from "./config";
import { createLethe } from "./lethe";

const lethe = createLethe(readLetheConfig());

export const kmsKeyArn = lethe.outputs.kmsKeyArn;
export const subjectHashKeyArn = lethe.outputs.subjectHashKeyArn;
export const auditBucket = lethe.outputs.auditBucket;
export const lakeBucket = lethe.outputs.lakeBucket;
export const athenaResultsBucket = lethe.outputs.athenaResultsBucket;
export const glueDatabase = lethe.outputs.glueDatabase;
export const glueTable = lethe.outputs.glueTable;
export const manifestTable = lethe.outputs.manifestTable;
export const dataMappers = lethe.outputs.dataMappers;
export const athenaWorkgroup = lethe.outputs.athenaWorkgroup;
export const ingestStream = lethe.outputs.ingestStream;
export const requestsTable = lethe.outputs.requestsTable;
export const indexTable = lethe.outputs.indexTable;
export const optOutTable = lethe.outputs.optOutTable;
export const locksTable = lethe.outputs.locksTable;
export const errorsTable = lethe.outputs.errorsTable;
export const auditTable = lethe.outputs.auditTable;
export const ledgerTable = lethe.outputs.ledgerTable;
export const storeFunctions = lethe.outputs.storeFunctions;
export const purgeQueueUrl = lethe.outputs.purgeQueueUrl;
export const purgeDeadLetterQueueUrl = lethe.outputs.purgeDeadLetterQueueUrl;
export const alertTopicArn = lethe.outputs.alertTopicArn;
export const erasureDeadlineDays = lethe.outputs.erasureDeadlineDays;
export const erasureSettings = lethe.outputs.erasureSettings;
export const filterBuilderFunction = lethe.outputs.filterBuilderFunction;
export const ingestGuardFunction = lethe.outputs.ingestGuardFunction;
export const indexerFunction = lethe.outputs.indexerFunction;
export const findFunction = lethe.outputs.findFunction;
export const purgeFunction = lethe.outputs.purgeFunction;
export const errorsFunction = lethe.outputs.errorsFunction;
export const apiUrl = lethe.outputs.apiUrl;
export const apiFunction = lethe.outputs.apiFunction;
export const approvalLinkKeyArn = lethe.outputs.approvalLinkKeyArn;
export const apiThrottle = lethe.outputs.apiThrottle;
