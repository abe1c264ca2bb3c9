// Parquet, as the registry (runtime/formats/index.ts) offers it: the streaming row-group engine.
import type { LakeFormat } from "../lakeFormat";
import { sparseParquetCopy, topLevelColumns } from "./localCopy";
import { parquetKeys } from "./objectKeys";
import { MAGIC, ParquetFormatError } from "./parquetFormat";
import { purgeParquet, scanParquet } from "./parquetPurge";
import { UnfaithfulRewriteError } from "./rowGroupRewrite";

export const parquet: LakeFormat = {
  name: "parquet",
  title: "Parquet",
  matchesHead: (head) => head.length >= MAGIC.length && MAGIC.every((b, i) => head[i] === b),
  scan: scanParquet,
  purge: purgeParquet,
  keysInObject: parquetKeys,
  localFind: {
    copiedColumns: topLevelColumns,
    copy: sparseParquetCopy,
    duckDbRead: (files, options) => `read_parquet(${files}, ${options})`,
  },
  isRefusal: (err) => err instanceof ParquetFormatError || err instanceof UnfaithfulRewriteError,
};
