// Tables Lethe will not rewrite by itself: each error says what was found and what a person can do.
// They are refusals (no retry cures them): the batch goes to NEEDS_ATTENTION.

export class IcebergRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IcebergRefusal";
  }
}

export function equalityDeletesRefusal(table: string, files: string[]): IcebergRefusal {
  return new IcebergRefusal(
    `Iceberg table ${table} has ${files.length} equality delete file(s) (e.g. ${files[0]}): Lethe cannot tell ` +
      `which rows they remove without replaying them, so it does not rewrite this table. By hand: compact ` +
      `the table (Athena OPTIMIZE ... REWRITE DATA USING BIN_PACK, or Spark rewrite_data_files with ` +
      `delete-file-threshold 1), then run the erasure again.`,
  );
}

export function positionDeletesRefusal(table: string, files: string[]): IcebergRefusal {
  return new IcebergRefusal(
    `Iceberg table ${table} has ${files.length} position delete file(s) (e.g. ${files[0]}) in a snapshot ` +
      `holding a subject's rows; Lethe does not yet apply them while rewriting. By hand: compact the table ` +
      `(Athena OPTIMIZE ... REWRITE DATA USING BIN_PACK), then run the erasure again.`,
  );
}

export function refsRefusal(table: string, refs: string[]): IcebergRefusal {
  return new IcebergRefusal(
    `Iceberg table ${table}: branch or tag ${refs.map((r) => `'${r}'`).join(", ")} points at a snapshot ` +
      `holding a subject's rows; erasing expires that snapshot. Set the data mapper's dropRefs: true to ` +
      `let Lethe drop them, or move them to a later snapshot by hand.`,
  );
}

export function inlineManifestsRefusal(table: string): IcebergRefusal {
  return new IcebergRefusal(
    `Iceberg table ${table}: its current snapshot lists manifests inline (format v1 without a manifest ` +
      `list); commit once with a current Iceberg writer, then run the erasure again.`,
  );
}

export function outsideLocationRefusal(table: string, location: string, files: string[]): IcebergRefusal {
  return new IcebergRefusal(
    `Iceberg table ${table}: ${files.length} data file(s) holding a subject's rows are outside the ` +
      `table's location ${location} (e.g. ${files[0]}; added from elsewhere): Lethe rewrites and deletes ` +
      `only under the table's location. By hand: rewrite those files into the table (Athena OPTIMIZE), ` +
      `then run the erasure again.`,
  );
}
