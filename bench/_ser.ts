import * as pulumi from "@pulumi/pulumi";
import * as bloom from "../runtime/ingest/bloomFilter";
import * as reg from "../runtime/ingest/optOutRegistry";
pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: (a) => a.inputs }, "p", "s", false);
(async () => {
  const sf = await pulumi.runtime.serializeFunction(() => {
    const f = bloom.BloomFilter.from(["a", "b"], 0.01);
    const r = reg.OptOutRegistry;
    return async () => ({ a: f.has("a"), z: f.has("zzz"), r: typeof r });
  }, { isFactoryFunction: true });
  require("fs").writeFileSync("bench/_out.js", sf.text);
  console.log(sf.text.length, sf.exportName);
  const m = require("./_out.js");
  console.log(await m[sf.exportName]());
})().catch((e) => { console.error("ERR", e.message); process.exit(1); });
