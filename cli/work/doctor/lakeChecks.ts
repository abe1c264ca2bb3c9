// A data mapper's Glue table and objects: the table exists, reads the mapper's format, has its ID
// columns with types that can hold IDs (and, for CSV, reads as the mapper's options do), and a sample
// of the objects under its location has the first bytes of that format (runtime/formats/index.ts).
import { GetTableCommand, GlueClient } from "@aws-sdk/client-glue";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { DataMapper, parseS3Location } from "../../../runtime/contracts/mappers";
import { glueTableFacts } from "../../../runtime/erasure/find/glueSchema";
import { resolveIdColumns } from "../../../runtime/erasure/find/idColumns";
import { lakeFormatOf } from "../../../runtime/formats";
import { awsError, DoctorCheck, failed, ok } from "./checks";

/** The format family a Glue table reads: its SerDe says, else its input format (gzip is the objects' affair). */
export function glueFormatFamily(
  serde: string | undefined,
  inputFormat: string | undefined,
): string | undefined {
  const of = (s: string) =>
    /Parquet/i.test(s)
      ? "parquet"
      : /JsonSerDe/i.test(s)
        ? "jsonl"
        : /OpenCSVSerde|LazySimpleSerDe/i.test(s)
          ? "csv"
          : undefined;
  return of(serde ?? "") ?? of(inputFormat ?? "");
}

const familyOf = (format: string) => format.replace(/\.gz$/, "");

export async function glueTableChecks(glue: GlueClient, mapper: DataMapper): Promise<DoctorCheck[]> {
  const subject = `mapper ${mapper.name} (${mapper.glueDatabase}.${mapper.glueTable})`;
  let table;
  try {
    ({ Table: table } = await glue.send(
      new GetTableCommand({ DatabaseName: mapper.glueDatabase, Name: mapper.glueTable }),
    ));
  } catch (err) {
    const missing = (err as { name?: string }).name === "EntityNotFoundException";
    return [
      failed(
        "glue table",
        subject,
        "must",
        missing ? "the Glue table does not exist" : `cannot read the Glue table: ${awsError(err)}`,
        missing
          ? `create ${mapper.glueDatabase}.${mapper.glueTable} over ${mapper.location}, or fix the mapper's glueDatabase/glueTable in lethe:dataMappers`
          : "check these credentials may glue:GetTable on it",
      ),
    ];
  }
  const checks: DoctorCheck[] = [ok("glue table", subject, "must", "exists")];
  const serde = table?.StorageDescriptor?.SerdeInfo?.SerializationLibrary;
  const family = glueFormatFamily(serde, table?.StorageDescriptor?.InputFormat);
  checks.push(
    family === familyOf(mapper.format)
      ? ok("table format", subject, "must", `${serde} reads ${mapper.format}`)
      : failed(
          "table format",
          subject,
          "must",
          `the table reads ${family ?? `an unknown format (SerDe ${serde ?? "none"})`}, the mapper declares ${mapper.format}`,
          `make the mapper's format in lethe:dataMappers what the table holds, or point the mapper at the table over its ${mapper.format} objects`,
        ),
  );
  // The same reading find does: CSV options compared with the table's SerDe, then the ID columns
  // resolved against the catalog's types.
  let facts: Awaited<ReturnType<typeof glueTableFacts>>;
  try {
    facts = await glueTableFacts(glue, mapper);
    if (mapper.csv)
      checks.push(ok("csv options", subject, "must", "the table reads its objects as the mapper does"));
  } catch (err) {
    checks.push(
      failed(
        "csv options",
        subject,
        "must",
        (err as Error).message,
        "make the mapper's csv options what the table's SerDe and parameters say (runtime/formats/csv/glueTable.ts)",
      ),
    );
    return checks;
  }
  try {
    const columns = resolveIdColumns(mapper, facts.columns);
    checks.push(ok("id columns", subject, "must", columns.map((c) => `${c.path} ${c.type}`).join(", ")));
  } catch (err) {
    checks.push(
      failed(
        "id columns",
        subject,
        "must",
        (err as Error).message,
        "make the mapper's idColumns name string or integer columns of the table (a dotted path into a struct)",
      ),
    );
  }
  const missing = mapper.partitionColumns.filter((p) => !facts.partitionKeys.includes(p));
  checks.push(
    missing.length === 0
      ? ok("partition columns", subject, "must", mapper.partitionColumns.join(", ") || "none")
      : failed(
          "partition columns",
          subject,
          "must",
          `${missing.join(", ")} ${missing.length === 1 ? "is not a partition key" : "are not partition keys"} of the table`,
          "make the mapper's partitionColumns the table's partition keys (or leave them out)",
        ),
  );
  const location = table?.StorageDescriptor?.Location;
  const normalise = (l: string) => l.replace(/^s3a?:\/\//, "s3://").replace(/\/?$/, "/");
  if (location && normalise(location) !== normalise(mapper.location)) {
    checks.push(
      failed(
        "table location",
        subject,
        "should",
        `the table's location is ${location}, the mapper's ${mapper.location}`,
        "make the mapper's location the table's: purge rewrites only objects under the mapper's location",
      ),
    );
  }
  return checks;
}

/** Object names a table reader skips (Hive/Spark markers, hidden files) and Lethe's own ingest errors. */
const skippedName = /(^|\/)[_.][^/]*$/;

export async function objectSampleChecks(
  s3: S3Client,
  mapper: DataMapper,
  sampleSize = 5,
): Promise<DoctorCheck[]> {
  const { bucket, prefix } = parseS3Location(mapper.location);
  const subject = `mapper ${mapper.name} (s3://${bucket}/${prefix})`;
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1000 }));
  const sample = (listed.Contents ?? [])
    .filter((o) => o.Key && !o.Key.endsWith("/") && !skippedName.test(o.Key) && (o.Size ?? 0) > 0)
    .slice(0, sampleSize);
  if (sample.length === 0)
    return [ok("object format", subject, "should", "no object under the location yet")];
  const format = lakeFormatOf(mapper);
  const wrong: string[] = [];
  for (const o of sample) {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key, Range: "bytes=0-63" }));
    const head = await got.Body!.transformToByteArray();
    if (!format.matchesHead(head, o.Size ?? head.length)) wrong.push(o.Key!);
  }
  return [
    wrong.length === 0
      ? ok("object format", subject, "should", `${sample.length} sampled object(s) are ${format.title}`)
      : failed(
          "object format",
          subject,
          "should",
          `${wrong.length} of ${sample.length} sampled object(s) are not ${format.title}: ${wrong.map((k) => `s3://${bucket}/${k}`).join(", ")}`,
          `move objects that are not ${format.title} out of ${mapper.location}, or give them a mapper of their own format: ` +
            "purge refuses each such object (the batch needs attention)",
        ),
  ];
}
