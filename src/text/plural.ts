/** "1 chunk", "2 chunks": for the CLIs and the reviewer page alike (no Node-only imports). */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}
