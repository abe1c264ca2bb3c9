// Runs `run` with process.stdout captured (Powertools Logger and Metrics print there), returning what
// was printed, one string per write.
export async function captureStdout<T>(run: () => Promise<T>): Promise<{ result: T; output: string[] }> {
  const output: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    output.push(chunk.toString());
    return true;
  }) as typeof process.stdout.write;
  try {
    return { result: await run(), output };
  } finally {
    process.stdout.write = write;
  }
}
