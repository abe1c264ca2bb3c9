// Where each value of one JSON text lies (start and end offsets), so a value can be replaced or an array
// element removed while every other byte of the line stays as written (./mask.ts). The text has already
// been accepted by JSON.parse: this walks it, it does not validate it.

export type JsonSpan =
  | { kind: "object"; start: number; end: number; members: { key: string; value: JsonSpan }[] }
  | { kind: "array"; start: number; end: number; elements: JsonSpan[] }
  | { kind: "scalar"; start: number; end: number };

export function jsonSpans(text: string): JsonSpan {
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\r" || text[i] === "\n"))
      i++;
  };
  const stringEnd = (from: number): number => {
    let j = from + 1;
    while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
    return j + 1;
  };
  const value = (): JsonSpan => {
    ws();
    const start = i;
    const c = text[i];
    if (c === "{") {
      i++;
      const members: { key: string; value: JsonSpan }[] = [];
      ws();
      if (text[i] === "}") {
        i++;
        return { kind: "object", start, end: i, members };
      }
      for (;;) {
        ws();
        const keyEnd = stringEnd(i);
        const key = JSON.parse(text.slice(i, keyEnd)) as string;
        i = keyEnd;
        ws();
        i++; // ':'
        members.push({ key, value: value() });
        ws();
        if (text[i++] === "}") return { kind: "object", start, end: i, members };
      }
    }
    if (c === "[") {
      i++;
      const elements: JsonSpan[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return { kind: "array", start, end: i, elements };
      }
      for (;;) {
        elements.push(value());
        ws();
        if (text[i++] === "]") return { kind: "array", start, end: i, elements };
      }
    }
    if (c === '"') {
      i = stringEnd(i);
      return { kind: "scalar", start, end: i };
    }
    while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
    return { kind: "scalar", start, end: i };
  };
  return value();
}

/** The members named `key` of an object span (JSON allows a key twice; each occurrence is returned). */
export function membersNamed(span: JsonSpan, key: string): JsonSpan[] {
  return span.kind === "object" ? span.members.filter((m) => m.key === key).map((m) => m.value) : [];
}
