
var __DEFAULT_SEEDS = [2538058380, 1540483477];
var __f1_prototype = {};
Object.defineProperty(__f1_prototype, "constructor", { configurable: true, writable: true, value: __f1 });
Object.defineProperty(__f1_prototype, "itemCount", { configurable: true, get: __f2 });
var __murmur3_1 = {murmur3x2: __murmur3x2};
Object.defineProperty(__f1_prototype, "add", { configurable: true, writable: true, value: __f3 });
Object.defineProperty(__f1_prototype, "has", { configurable: true, writable: true, value: __f4 });
Object.defineProperty(__f1_prototype, "expectedFalsePositiveRate", { configurable: true, writable: true, value: __f5 });
Object.defineProperty(__f1_prototype, "serialize", { configurable: true, writable: true, value: __f6 });
Object.defineProperty(__f1, "prototype", { value: __f1_prototype });
Object.defineProperty(__f1, "create", { configurable: true, writable: true, value: __f7 });
Object.defineProperty(__f1, "from", { configurable: true, writable: true, value: __f8 });
Object.setPrototypeOf(__f10, global.Error);
Object.defineProperty(__f1, "deserialize", { configurable: true, writable: true, value: __f9 });
var __bloom = {BloomFilter: __f1, MAX_BITS: 4294967264, HEADER_BYTES: 32, BLOOM_MAGIC: "LETHEBLM", BLOOM_FORMAT_VERSION: 1, HASH_SCHEME_MURMUR3_DOUBLE: 1};
var __f11_prototype = {};
Object.defineProperty(__f11_prototype, "constructor", { configurable: true, writable: true, value: __f11 });
Object.defineProperty(__f11_prototype, "add", { configurable: true, writable: true, value: __f12 });
Object.defineProperty(__f11_prototype, "remove", { configurable: true, writable: true, value: __f13 });
Object.defineProperty(__f11_prototype, "optedOut", { configurable: true, writable: true, value: __f14 });
var __f15_prototype = Object.create(Object.getPrototypeOf((async function*(){}).prototype));
Object.defineProperty(__f15, "prototype", { writable: true, value: __f15_prototype });
Object.defineProperty(__f11_prototype, "pages", { configurable: true, writable: true, value: __f15 });
Object.defineProperty(__f11_prototype, "allIds", { configurable: true, writable: true, value: __f16 });
Object.defineProperty(__f11, "prototype", { value: __f11_prototype });
var __reg = {OptOutRegistry: __f11, OPT_OUT_KEY: "customerId"};

function __f1(__0, __1) {
  return (function() {
    with({ DEFAULT_SEEDS: __DEFAULT_SEEDS, exports: __bloom, this: undefined, arguments: undefined }) {

return function /*constructor*/(bitCount, hashCount, seeds = DEFAULT_SEEDS, words, itemCount = 0) {
        this.bitCount = bitCount;
        this.hashCount = hashCount;
        this.seeds = seeds;
        if (!Number.isInteger(bitCount) || bitCount < 32 || bitCount % 32 !== 0 || bitCount > exports.MAX_BITS) {
            throw new RangeError(`bit count must be a positive multiple of 32 up to ${exports.MAX_BITS}, got ${bitCount}`);
        }
        if (!Number.isInteger(hashCount) || hashCount < 1 || hashCount > 64) {
            throw new RangeError(`hash count must be 1 to 64, got ${hashCount}`);
        }
        this.words = words ?? new Uint32Array(bitCount / 32);
        this.count = itemCount;
        this.hashes = { h1: 0, h2: 0 };
    };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f2() {
  return (function() {
    with({ this: undefined, arguments: undefined }) {

return function /*itemCount*/() {
        return this.count;
    };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __isAscii(__0) {
  return (function() {
    with({ isAscii: __isAscii, this: undefined, arguments: undefined }) {

return function /*isAscii*/(s) {
    for (let i = 0; i < s.length; i++)
        if (s.charCodeAt(i) > 0x7f)
            return false;
    return true;
};

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __mixKey(__0) {
  return (function() {
    with({ C1: 3432918353, C2: 461845907, mixKey: __mixKey, this: undefined, arguments: undefined }) {

return function /*mixKey*/(k) {
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    return Math.imul(k, C2);
};

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __mixState(__0, __1) {
  return (function() {
    with({ mixKey: __mixKey, mixState: __mixState, this: undefined, arguments: undefined }) {

return function /*mixState*/(h, k) {
    h ^= mixKey(k);
    h = (h << 13) | (h >>> 19);
    return (Math.imul(h, 5) + 0xe6546b64) | 0;
};

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __finalize(__0, __1) {
  return (function() {
    with({ finalize: __finalize, this: undefined, arguments: undefined }) {

return function /*finalize*/(h, length) {
    h ^= length;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
};

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __murmur3x2Bytes(__0, __1, __2, __3) {
  return (function() {
    with({ mixState: __mixState, mixKey: __mixKey, finalize: __finalize, murmur3x2Bytes: __murmur3x2Bytes, this: undefined, arguments: undefined }) {

return function /*murmur3x2Bytes*/(bytes, seed1, seed2, out) {
    let a = seed1 | 0;
    let b = seed2 | 0;
    const n = bytes.length;
    const blocks = n & ~3;
    let i = 0;
    for (; i < blocks; i += 4) {
        const k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
        a = mixState(a, k);
        b = mixState(b, k);
    }
    let tail = 0;
    switch (n & 3) {
        case 3:
            tail ^= bytes[i + 2] << 16;
        // falls through
        case 2:
            tail ^= bytes[i + 1] << 8;
        // falls through
        case 1:
            tail ^= bytes[i];
            a ^= mixKey(tail);
            b ^= mixKey(tail);
    }
    out.h1 = finalize(a, n);
    out.h2 = finalize(b, n);
};

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __murmur3x2(__0, __1, __2, __3) {
  return (function() {
    with({ isAscii: __isAscii, murmur3x2Bytes: __murmur3x2Bytes, mixState: __mixState, mixKey: __mixKey, finalize: __finalize, murmur3x2: __murmur3x2, this: undefined, arguments: undefined }) {

return function /*murmur3x2*/(key, seed1, seed2, out) {
    if (!isAscii(key)) {
        murmur3x2Bytes(Buffer.from(key, "utf8"), seed1, seed2, out);
        return;
    }
    let a = seed1 | 0;
    let b = seed2 | 0;
    const n = key.length;
    const blocks = n & ~3;
    let i = 0;
    for (; i < blocks; i += 4) {
        const k = key.charCodeAt(i) |
            (key.charCodeAt(i + 1) << 8) |
            (key.charCodeAt(i + 2) << 16) |
            (key.charCodeAt(i + 3) << 24);
        a = mixState(a, k);
        b = mixState(b, k);
    }
    let tail = 0;
    switch (n & 3) {
        case 3:
            tail ^= key.charCodeAt(i + 2) << 16;
        // falls through
        case 2:
            tail ^= key.charCodeAt(i + 1) << 8;
        // falls through
        case 1:
            tail ^= key.charCodeAt(i);
            a ^= mixKey(tail);
            b ^= mixKey(tail);
    }
    out.h1 = finalize(a, n);
    out.h2 = finalize(b, n);
};

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f3(__0) {
  return (function() {
    with({ murmur3_1: __murmur3_1, this: undefined, arguments: undefined }) {

return function /*add*/(key) {
        const h = this.hashes;
        (0, murmur3_1.murmur3x2)(key, this.seeds[0], this.seeds[1], h);
        const m = this.bitCount;
        const words = this.words;
        let bit = h.h1 % m;
        const step = h.h2 % m || 1;
        for (let i = 0; i < this.hashCount; i++) {
            words[bit >>> 5] |= 1 << (bit & 31);
            bit += step;
            if (bit >= m)
                bit -= m;
        }
        this.count++;
    };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f4(__0) {
  return (function() {
    with({ murmur3_1: __murmur3_1, this: undefined, arguments: undefined }) {

return function /*has*/(key) {
        const h = this.hashes;
        (0, murmur3_1.murmur3x2)(key, this.seeds[0], this.seeds[1], h);
        const m = this.bitCount;
        const words = this.words;
        let bit = h.h1 % m;
        const step = h.h2 % m || 1;
        for (let i = 0; i < this.hashCount; i++) {
            if ((words[bit >>> 5] & (1 << (bit & 31))) === 0)
                return false;
            bit += step;
            if (bit >= m)
                bit -= m;
        }
        return true;
    };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f5() {
  return (function() {
    with({ this: undefined, arguments: undefined }) {

return function /*expectedFalsePositiveRate*/() {
        return Math.pow(1 - Math.exp((-this.hashCount * this.count) / this.bitCount), this.hashCount);
    };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}
const node_os_1 = require("os");

function __assertLittleEndian() {
  return (function() {
    with({ assertLittleEndian: __assertLittleEndian, this: undefined, arguments: undefined }) {

return function /*assertLittleEndian*/() {
    // The bits are stored as little-endian words; every Lambda architecture (x86_64, arm64) is LE.
    if ((0, node_os_1.endianness)() !== "LE")
        throw new Error("bloom filter serialization needs a little-endian CPU");
};

    }
  }).apply(undefined, undefined).apply(this, arguments);
}
const node_zlib_1 = require("zlib");

function __checksum(__0) {
  return (function() {
    with({ exports: __bloom, checksum: __checksum, this: undefined, arguments: undefined }) {

return function /*checksum*/(buf) {
    let c = (0, node_zlib_1.crc32)(buf.subarray(0, 28));
    c = (0, node_zlib_1.crc32)(Buffer.alloc(4), c);
    return (0, node_zlib_1.crc32)(buf.subarray(exports.HEADER_BYTES), c) >>> 0;
};

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f6() {
  return (function() {
    with({ assertLittleEndian: __assertLittleEndian, exports: __bloom, checksum: __checksum, this: undefined, arguments: undefined }) {

return function /*serialize*/() {
        assertLittleEndian();
        const out = Buffer.alloc(exports.HEADER_BYTES + this.words.byteLength);
        out.write(exports.BLOOM_MAGIC, 0, "latin1");
        out.writeUInt16LE(exports.BLOOM_FORMAT_VERSION, 8);
        out.writeUInt8(exports.HASH_SCHEME_MURMUR3_DOUBLE, 10);
        out.writeUInt8(this.hashCount, 11);
        out.writeUInt32LE(this.bitCount, 12);
        out.writeUInt32LE(Math.min(this.count, 0xffffffff), 16);
        out.writeUInt32LE(this.seeds[0] >>> 0, 20);
        out.writeUInt32LE(this.seeds[1] >>> 0, 24);
        Buffer.from(this.words.buffer, this.words.byteOffset, this.words.byteLength).copy(out, exports.HEADER_BYTES);
        out.writeUInt32LE(checksum(out), 28);
        return out;
    };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __bloomParameters(__0, __1) {
  return (function() {
    with({ exports: __bloom, bloomParameters: __bloomParameters, this: undefined, arguments: undefined }) {

return function /*bloomParameters*/(expectedItems, falsePositiveRate) {
    if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) {
        throw new RangeError(`false-positive rate must be between 0 and 1 (exclusive), got ${falsePositiveRate}`);
    }
    if (!Number.isInteger(expectedItems) || expectedItems < 0) {
        throw new RangeError(`expected item count must be a whole number >= 0, got ${expectedItems}`);
    }
    const n = Math.max(1, expectedItems);
    const bits = Math.ceil((-n * Math.log(falsePositiveRate)) / (Math.LN2 * Math.LN2));
    // Whole 32-bit words: the spare bits at the end only lower the false-positive rate.
    const bitCount = Math.max(64, Math.ceil(bits / 32) * 32);
    if (bitCount > exports.MAX_BITS) {
        throw new RangeError(`${expectedItems} items at rate ${falsePositiveRate} need more than ${exports.MAX_BITS} bits`);
    }
    const hashCount = Math.min(64, Math.max(1, Math.round((bitCount / n) * Math.LN2)));
    return { bitCount, hashCount };
};

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f7(__0, __1) {
  return (function() {
    with({ bloomParameters: __bloomParameters, BloomFilter: __f1, this: undefined, arguments: undefined }) {

return function /*create*/(expectedItems, falsePositiveRate) {
        const { bitCount, hashCount } = bloomParameters(expectedItems, falsePositiveRate);
        return new BloomFilter(bitCount, hashCount);
    };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f8(__0, __1) {
  return (function() {
    with({ BloomFilter: __f1, this: undefined, arguments: undefined }) {

return function /*from*/(keys, falsePositiveRate) {
        const filter = BloomFilter.create(keys.length, falsePositiveRate);
        for (const k of keys)
            filter.add(k);
        return filter;
    };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f10(__0) {
  return (function() {
    with({ __super: global.Error, this: undefined, arguments: undefined }) {

return function /*constructor*/(message) {
    __super.call(this, message);
    // Set explicitly: in a serialized Lambda closure classes become functions and super() does not.
    this.message = message;
    this.name = "BloomFormatError";
};

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __hex(__0) {
  return (function() {
    with({ hex: __hex, this: undefined, arguments: undefined }) {

return function /*hex*/(n) {
    return `0x${n.toString(16).padStart(8, "0")}`;
};

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f9(__0) {
  return (function() {
    with({ assertLittleEndian: __assertLittleEndian, exports: __bloom, BloomFormatError: __f10, checksum: __checksum, hex: __hex, BloomFilter: __f1, this: undefined, arguments: undefined }) {

return function /*deserialize*/(data, source = "bloom filter") {
        assertLittleEndian();
        const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        if (buf.length < exports.HEADER_BYTES || buf.toString("latin1", 0, 8) !== exports.BLOOM_MAGIC) {
            throw new BloomFormatError(`${source}: not a Lethe bloom filter (missing the LETHEBLM header)`);
        }
        const version = buf.readUInt16LE(8);
        if (version !== exports.BLOOM_FORMAT_VERSION) {
            throw new BloomFormatError(`${source}: format version ${version} is not supported (this build reads version ${exports.BLOOM_FORMAT_VERSION})`);
        }
        const scheme = buf.readUInt8(10);
        if (scheme !== exports.HASH_SCHEME_MURMUR3_DOUBLE) {
            throw new BloomFormatError(`${source}: unknown hash scheme ${scheme}`);
        }
        const hashCount = buf.readUInt8(11);
        const bitCount = buf.readUInt32LE(12);
        const itemCount = buf.readUInt32LE(16);
        const seeds = [buf.readUInt32LE(20), buf.readUInt32LE(24)];
        if (bitCount < 32 || bitCount % 32 !== 0 || hashCount < 1 || hashCount > 64) {
            throw new BloomFormatError(`${source}: corrupt header (bits ${bitCount}, hashes ${hashCount})`);
        }
        const expectedLength = exports.HEADER_BYTES + bitCount / 8;
        if (buf.length !== expectedLength) {
            throw new BloomFormatError(`${source}: corrupt or truncated: ${buf.length} bytes, header announces ${expectedLength}`);
        }
        const stored = buf.readUInt32LE(28);
        const actual = checksum(buf);
        if (stored !== actual) {
            throw new BloomFormatError(`${source}: checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)}): the file is corrupt`);
        }
        // Copy: the source buffer need not be 4-byte aligned, and we must not alias a caller's memory.
        const words = new Uint32Array(bitCount / 32);
        Buffer.from(words.buffer).set(buf.subarray(exports.HEADER_BYTES));
        return new BloomFilter(bitCount, hashCount, seeds, words, itemCount);
    };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f11(__0, __1) {
  return (function() {
    with({ this: undefined, arguments: undefined }) {

return function /*constructor*/(doc, tableName, options = {}) {
        this.doc = doc;
        this.tableName = tableName;
        if (!tableName)
            throw new Error("opt-out registry: table name is empty");
        this.maxRetries = options.maxUnprocessedRetries ?? 8;
        this.retryBaseMs = options.retryBaseMs ?? 50;
        this.keysRequested = 0;
    };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __assertId(__0) {
  return (function() {
    with({ assertId: __assertId, this: undefined, arguments: undefined }) {

return function /*assertId*/(customerId) {
    if (typeof customerId !== "string" || customerId === "") {
        throw new Error("opt-out registry: customer ID must be a non-empty string");
    }
};

    }
  }).apply(undefined, undefined).apply(this, arguments);
}
const lib_dynamodb_1 = require("@aws-sdk/lib-dynamodb/dist-cjs/index.js");

function __f12(__0, __1) {
  return (function() {
    with({ assertId: __assertId, this: undefined, arguments: undefined }) {

return async function /*add*/(customerId, requestRef, at = new Date()) {
        assertId(customerId);
        if (!requestRef)
            throw new Error("opt-out registry: a request reference is required");
        const item = { customerId, requestRef, optedOutAt: at.toISOString() };
        await this.doc.send(new lib_dynamodb_1.PutCommand({ TableName: this.tableName, Item: item }));
    };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f13(__0) {
  return (function() {
    with({ assertId: __assertId, exports: __reg, this: undefined, arguments: undefined }) {

return async function /*remove*/(customerId) {
        assertId(customerId);
        await this.doc.send(new lib_dynamodb_1.DeleteCommand({ TableName: this.tableName, Key: { [exports.OPT_OUT_KEY]: customerId } }));
    };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __sleep(__0) {
  return (function() {
    with({ sleep: __sleep, this: undefined, arguments: undefined }) {

return function /*sleep*/(ms) {
    return new Promise((r) => setTimeout(r, ms));
};

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f14(__0) {
  return (function() {
    with({ BATCH_GET_LIMIT: 100, exports: __reg, sleep: __sleep, this: undefined, arguments: undefined }) {

return async function /*optedOut*/(customerIds) {
        const found = new Set();
        const unique = [...new Set(customerIds)];
        for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) {
            let keys = unique
                .slice(i, i + BATCH_GET_LIMIT)
                .map((id) => ({ [exports.OPT_OUT_KEY]: id }));
            for (let attempt = 0; keys.length > 0; attempt++) {
                if (attempt > this.maxRetries) {
                    throw new Error(`opt-out registry: ${keys.length} keys still unprocessed after ${this.maxRetries} retries (throttled)`);
                }
                if (attempt > 0)
                    await sleep(this.retryBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
                this.keysRequested += keys.length;
                const out = await this.doc.send(new lib_dynamodb_1.BatchGetCommand({
                    RequestItems: {
                        [this.tableName]: { Keys: keys, ProjectionExpression: "#k", ExpressionAttributeNames: { "#k": exports.OPT_OUT_KEY } },
                    },
                }));
                for (const item of out.Responses?.[this.tableName] ?? [])
                    found.add(item[exports.OPT_OUT_KEY]);
                keys = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []);
            }
        }
        return found;
    };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f15() {
  return (function() {
    with({ exports: __reg, this: undefined, arguments: undefined }) {

return async function* /*pages*/(pageSize = 1000) {
        let start;
        do {
            const out = await this.doc.send(new lib_dynamodb_1.ScanCommand({
                TableName: this.tableName,
                ProjectionExpression: "#k",
                ExpressionAttributeNames: { "#k": exports.OPT_OUT_KEY },
                Limit: pageSize,
                ExclusiveStartKey: start,
                ConsistentRead: true,
            }));
            yield (out.Items ?? []).map((item) => item[exports.OPT_OUT_KEY]);
            start = out.LastEvaluatedKey;
        } while (start);
    };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f16(__0) {
  return (function() {
    with({ this: undefined, arguments: undefined }) {

return async function /*allIds*/(pageSize) {
        const ids = [];
        for await (const page of this.pages(pageSize))
            for (const id of page)
                ids.push(id);
        return ids;
    };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f0() {
  return (function() {
    with({ bloom: __bloom, reg: __reg, this: undefined, arguments: undefined }) {

return () => {
        const f = bloom.BloomFilter.from(["a", "b"], 0.01);
        const r = reg.OptOutRegistry;
        return async () => ({ a: f.has("a"), z: f.has("zzz"), r: typeof r });
    };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

exports.handler = __f0();