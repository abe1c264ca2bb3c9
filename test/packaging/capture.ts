// Captures what a packaged handler writes to stdout (Powertools' JSON logs and EMF metrics).
export async function capturingStdout<T>(run: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(
      ...chunk
        .toString()
        .split("\n")
        .filter((l) => l.trim() !== ""),
    );
    return true;
  }) as typeof process.stdout.write;
  try {
    return { result: await run(), lines };
  } finally {
    process.stdout.write = write;
  }
}
