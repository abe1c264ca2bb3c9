// A keyed subject hasher for the metastore tests (the modules take any `HashSubject`).
import { createHmac } from "node:crypto";
import { HashSubject } from "../../../runtime/erasure/metastore/indexStore";

export function testHasher(secret: string): HashSubject {
  return (key) =>
    `test:${createHmac("sha256", secret).update(key.join("\u001f")).digest("hex").slice(0, 24)}`;
}
