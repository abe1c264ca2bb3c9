// The data mappers as the functions see them: `lethe:dataMappers` with Lethe's own events table filled
// in (its database and location), and the IAM statements that let a function read exactly a mapper's
// table location and Glue entry, nothing wider.
import * as pulumi from "@pulumi/pulumi";
import { DataMapperSetting } from "../config";
import { PolicyStatement } from "../components/letheFunction";
import { DataMapper, parseS3Location } from "../../runtime/contracts/mappers";
import { ingestErrorRoot, manifestRoot, planRoot } from "../../runtime/contracts/lakeSchema";
import { defaultFilterPrefix } from "../../runtime/ingest/settings";

export interface LakeFacts {
  /** Lethe's Glue database (the events table's). */
  database: pulumi.Input<string>;
  /** The events table's location, `s3://bucket/events/`. */
  eventsLocation: pulumi.Input<string>;
  lakeBucket: pulumi.Input<string>;
}

/** Prefixes of the lake bucket that hold Lethe's own objects: no mapper may read or rewrite them. */
export const lethePrefixes = [manifestRoot, planRoot, defaultFilterPrefix, ingestErrorRoot];

export function resolveDataMappers(
  settings: DataMapperSetting[],
  lake: LakeFacts,
): pulumi.Output<DataMapper[]> {
  return pulumi
    .all([lake.database, lake.eventsLocation, lake.lakeBucket])
    .apply(([database, events, bucket]) =>
      settings.map((s) => {
        const mapper: DataMapper = {
          name: s.name,
          glueDatabase: s.glueDatabase ?? database,
          glueTable: s.glueTable,
          location: s.location ?? events,
          idColumns: [...s.idColumns],
          format: s.format,
          partitionColumns: [...(s.partitionColumns ?? [])],
          ...(s.csv ? { csv: { ...s.csv, columns: [...s.csv.columns] } } : {}),
          ...(s.retention ? { retention: { ...s.retention } } : {}),
          ...(s.strategy ? { strategy: s.strategy } : {}),
          ...(s.keyTemplate ? { keyTemplate: s.keyTemplate } : {}),
          ...(s.mask ? { mask: { columns: { ...s.mask.columns } } } : {}),
        };
        assertOutsideLethe(mapper, bucket);
        return mapper;
      }),
    );
}

/** Throws when a mapper in the lake bucket would cover (or sit inside) one of Lethe's own prefixes. */
export function assertOutsideLethe(mapper: DataMapper, lakeBucket: string): void {
  const { bucket, prefix } = parseS3Location(mapper.location);
  if (bucket !== lakeBucket) return;
  for (const own of lethePrefixes) {
    if (own.startsWith(prefix) || prefix.startsWith(own)) {
      throw new Error(
        `lethe:dataMappers: mapper "${mapper.name}": location ${mapper.location} overlaps Lethe's own s3://${lakeBucket}/${own}`,
      );
    }
  }
}

export interface AwsScope {
  partition: string;
  region: string;
  account: string;
}

function s3Arns(scope: AwsScope, location: string): { bucket: string; objects: string; prefix: string } {
  const { bucket, prefix } = parseS3Location(location);
  return {
    bucket: `arn:${scope.partition}:s3:::${bucket}`,
    objects: `arn:${scope.partition}:s3:::${bucket}/${prefix}*`,
    prefix,
  };
}

/** Read access to one mapper: its objects (every version), listing under its prefix, its Glue table. */
export function mapperReadStatements(mapper: DataMapper, scope: AwsScope): PolicyStatement[] {
  const arns = s3Arns(scope, mapper.location);
  const glue = `arn:${scope.partition}:glue:${scope.region}:${scope.account}`;
  const sid = mapper.name.replace(/[^A-Za-z0-9]/g, "");
  return [
    {
      Sid: `Read${sid}Objects`,
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: arns.objects,
    },
    {
      Sid: `List${sid}Objects`,
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:ListBucketVersions"],
      Resource: arns.bucket,
      Condition: { StringLike: { "s3:prefix": `${arns.prefix}*` } },
    },
    {
      Sid: `Read${sid}Table`,
      Effect: "Allow",
      Action: ["glue:GetTable", "glue:GetPartitions"],
      Resource: [
        `${glue}:catalog`,
        `${glue}:database/${mapper.glueDatabase}`,
        `${glue}:table/${mapper.glueDatabase}/${mapper.glueTable}`,
      ],
    },
  ];
}

/** Read access to every mapper, one statement group each. */
export function mappersReadStatements(mappers: DataMapper[], scope: AwsScope): PolicyStatement[] {
  return mappers.flatMap((m) => mapperReadStatements(m, scope));
}
