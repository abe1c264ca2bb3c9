// The committed OpenAPI document (docs/openapi.json), written from the route table:
//   npx ts-node --transpile-only scripts/openApiFile.ts
// test/api/openapi.test.ts fails when the committed file is not what the route table generates.
import * as fs from "node:fs";
import * as path from "node:path";
import { openApiDocument } from "../runtime/api/openapi";

export const openApiFile = path.resolve(__dirname, "..", "docs", "openapi.json");

export function writeOpenApiFile(file = openApiFile): void {
  fs.writeFileSync(file, JSON.stringify(openApiDocument(), null, 2) + "\n");
}

if (require.main === module) {
  writeOpenApiFile();
  process.stdout.write(`wrote ${path.relative(process.cwd(), openApiFile)}\n`);
}
