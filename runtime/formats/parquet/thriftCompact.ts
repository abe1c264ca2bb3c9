// A small, lossless codec for the Thrift compact protocol, the encoding of Parquet's footer and page
// headers. Structs decode into a generic map of field id -> typed value, so fields this code does not
// know (newer Parquet versions: size statistics, geospatial statistics, ...) are written back as read.

export enum TType {
  Stop = 0,
  True = 1,
  False = 2,
  Byte = 3,
  I16 = 4,
  I32 = 5,
  I64 = 6,
  Double = 7,
  Binary = 8,
  List = 9,
  Set = 10,
  Map = 11,
  Struct = 12,
}

export type TValue =
  | { t: TType.True | TType.False; v: boolean }
  | { t: TType.Byte | TType.I16 | TType.I32; v: number }
  | { t: TType.I64; v: bigint }
  | { t: TType.Double; v: number }
  | { t: TType.Binary; v: Uint8Array }
  | { t: TType.List | TType.Set; elem: TType; v: TValue[] }
  | { t: TType.Map; key: TType; val: TType; v: [TValue, TValue][] }
  | { t: TType.Struct; v: TStruct };

/** A decoded struct: field id -> value, in the order read (written back sorted by id). */
export type TStruct = Map<number, TValue>;

export class ThriftError extends Error {}

export class CompactReader {
  pos: number;
  constructor(
    private readonly buf: Uint8Array,
    start = 0,
  ) {
    this.pos = start;
  }

  private byte(): number {
    if (this.pos >= this.buf.length) throw new ThriftError("truncated Thrift data");
    return this.buf[this.pos++];
  }

  private varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new ThriftError("varint too long");
    }
  }

  private zigzag(): bigint {
    const n = this.varint();
    return (n >> 1n) ^ -(n & 1n);
  }

  readStruct(): TStruct {
    const out: TStruct = new Map();
    let lastId = 0;
    for (;;) {
      const header = this.byte();
      const type = header & 0x0f;
      if (type === TType.Stop) return out;
      const delta = header >> 4;
      const id = delta === 0 ? Number(this.zigzag()) : lastId + delta;
      lastId = id;
      if (type === TType.True || type === TType.False) out.set(id, { t: type, v: type === TType.True });
      else out.set(id, this.readValue(type));
    }
  }

  private readValue(type: number): TValue {
    switch (type) {
      case TType.True:
      case TType.False: {
        // Inside containers a bool is one byte: 1 true, anything else false.
        const b = this.byte();
        return b === 1 ? { t: TType.True, v: true } : { t: TType.False, v: false };
      }
      case TType.Byte: {
        const b = this.byte();
        return { t: TType.Byte, v: b > 127 ? b - 256 : b };
      }
      case TType.I16:
      case TType.I32:
        return { t: type, v: Number(this.zigzag()) };
      case TType.I64:
        return { t: TType.I64, v: this.zigzag() };
      case TType.Double: {
        if (this.pos + 8 > this.buf.length) throw new ThriftError("truncated Thrift data");
        const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
        this.pos += 8;
        return { t: TType.Double, v };
      }
      case TType.Binary: {
        const len = Number(this.varint());
        if (this.pos + len > this.buf.length) throw new ThriftError("truncated Thrift binary");
        const v = this.buf.slice(this.pos, this.pos + len);
        this.pos += len;
        return { t: TType.Binary, v };
      }
      case TType.List:
      case TType.Set: {
        const header = this.byte();
        let size = header >> 4;
        const elem = header & 0x0f;
        if (size === 15) size = Number(this.varint());
        const v: TValue[] = [];
        for (let i = 0; i < size; i++)
          v.push(elem === TType.Struct ? this.structValue() : this.readValue(elem));
        return { t: type, elem, v };
      }
      case TType.Map: {
        const size = Number(this.varint());
        if (size === 0) return { t: TType.Map, key: TType.Binary, val: TType.Binary, v: [] };
        const kv = this.byte();
        const key = kv >> 4;
        const val = kv & 0x0f;
        const v: [TValue, TValue][] = [];
        for (let i = 0; i < size; i++) v.push([this.readValue(key), this.readValue(val)]);
        return { t: TType.Map, key, val, v };
      }
      case TType.Struct:
        return this.structValue();
      default:
        throw new ThriftError(`unknown Thrift compact type ${type}`);
    }
  }

  private structValue(): TValue {
    return { t: TType.Struct, v: this.readStruct() };
  }
}

export class CompactWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b & 0xff;
  }

  private varint(n: bigint): void {
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n !== 0n) b |= 0x80;
      this.byte(b);
    } while (n !== 0n);
  }

  private zigzag(n: bigint): void {
    this.varint(BigInt.asUintN(64, (n << 1n) ^ (n >> 63n)));
  }

  writeStruct(s: TStruct): void {
    let lastId = 0;
    for (const id of [...s.keys()].sort((a, b) => a - b)) {
      const value = s.get(id)!;
      const wireType =
        value.t === TType.True || value.t === TType.False ? (value.v ? TType.True : TType.False) : value.t;
      const delta = id - lastId;
      if (delta > 0 && delta <= 15) this.byte((delta << 4) | wireType);
      else {
        this.byte(wireType);
        this.zigzag(BigInt(id));
      }
      lastId = id;
      if (wireType !== TType.True && wireType !== TType.False) this.writeValue(value);
    }
    this.byte(TType.Stop);
  }

  private writeValue(value: TValue): void {
    switch (value.t) {
      case TType.True:
      case TType.False:
        this.byte(value.v ? 1 : 2);
        return;
      case TType.Byte:
        this.byte(value.v);
        return;
      case TType.I16:
      case TType.I32:
        this.zigzag(BigInt(value.v));
        return;
      case TType.I64:
        this.zigzag(value.v);
        return;
      case TType.Double: {
        this.ensure(8);
        new DataView(this.buf.buffer, this.len, 8).setFloat64(0, value.v, true);
        this.len += 8;
        return;
      }
      case TType.Binary:
        this.varint(BigInt(value.v.length));
        this.ensure(value.v.length);
        this.buf.set(value.v, this.len);
        this.len += value.v.length;
        return;
      case TType.List:
      case TType.Set: {
        const n = value.v.length;
        if (n < 15) this.byte((n << 4) | value.elem);
        else {
          this.byte(0xf0 | value.elem);
          this.varint(BigInt(n));
        }
        for (const e of value.v) this.writeValue(e);
        return;
      }
      case TType.Map:
        this.varint(BigInt(value.v.length));
        if (value.v.length > 0) this.byte((value.key << 4) | value.val);
        for (const [k, v] of value.v) {
          this.writeValue(k);
          this.writeValue(v);
        }
        return;
      case TType.Struct:
        this.writeStruct(value.v);
        return;
    }
  }
}

export function decodeStruct(buf: Uint8Array, start = 0): { value: TStruct; end: number } {
  const reader = new CompactReader(buf, start);
  const value = reader.readStruct();
  return { value, end: reader.pos };
}

export function encodeStruct(s: TStruct): Uint8Array {
  const w = new CompactWriter();
  w.writeStruct(s);
  return w.bytes();
}

// Typed accessors: Parquet's structs are addressed by field id (see parquet.thrift).
export function getI32(s: TStruct, id: number): number | undefined {
  const v = s.get(id);
  if (!v) return undefined;
  if (v.t === TType.I32 || v.t === TType.I16 || v.t === TType.Byte) return v.v;
  if (v.t === TType.I64) return Number(v.v);
  throw new ThriftError(`field ${id} is not an integer`);
}

export function getI64(s: TStruct, id: number): number | undefined {
  const v = s.get(id);
  if (!v) return undefined;
  if (v.t === TType.I64) return Number(v.v);
  if (v.t === TType.I32 || v.t === TType.I16 || v.t === TType.Byte) return v.v;
  throw new ThriftError(`field ${id} is not an integer`);
}

export function getString(s: TStruct, id: number): string | undefined {
  const v = s.get(id);
  if (!v) return undefined;
  if (v.t !== TType.Binary) throw new ThriftError(`field ${id} is not a string`);
  return new TextDecoder().decode(v.v);
}

export function getStruct(s: TStruct, id: number): TStruct | undefined {
  const v = s.get(id);
  if (!v) return undefined;
  if (v.t !== TType.Struct) throw new ThriftError(`field ${id} is not a struct`);
  return v.v;
}

export function getList(s: TStruct, id: number): TValue[] | undefined {
  const v = s.get(id);
  if (!v) return undefined;
  if (v.t !== TType.List && v.t !== TType.Set) throw new ThriftError(`field ${id} is not a list`);
  return v.v;
}

export function getStructList(s: TStruct, id: number): TStruct[] {
  return (getList(s, id) ?? []).map((e) => {
    if (e.t !== TType.Struct) throw new ThriftError(`field ${id} is not a list of structs`);
    return e.v;
  });
}

export const i32 = (v: number): TValue => ({ t: TType.I32, v });
export const i64 = (v: number | bigint): TValue => ({ t: TType.I64, v: BigInt(v) });
export const structList = (v: TStruct[]): TValue => ({
  t: TType.List,
  elem: TType.Struct,
  v: v.map((s) => ({ t: TType.Struct, v: s })),
});
export const struct = (v: TStruct): TValue => ({ t: TType.Struct, v });
