// The lock module: a DynamoDB mutex with fencing tokens (docs/lock.md).
export { MutexClient } from "./mutexClient";
export type { AcquireOptions } from "./mutexClient";
export type { MutexClientOptions } from "./options";
export { MutexKey } from "./mutexKey";
export { Lock } from "./lock";
export {
  LockAbortedError,
  LockConfigError,
  LockError,
  LockLostError,
  LockStoreError,
  LockThrottledError,
  LockTimeoutError,
} from "./errors";
export type { LockLossReason, LockOperation } from "./errors";
