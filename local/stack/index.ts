// The local stack: the program's declarations made real in an emulator (`lethe up/down --local`).
export { provisionLocalStack, upLocal, shortType } from "./up";
export type { ProvisionOptions, ProvisionSummary, UpOptions, UpResult } from "./up";
export { downLocal } from "./down";
export type { DownResult } from "./down";
export { defaultOutputsFile, readOutputsFile, writeOutputsFile } from "./outputsFile";
export { programDeclarations } from "./declarations";
export { createBucketLike, createTableLike } from "./copies";
