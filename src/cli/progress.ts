/**
 * Progress on stderr for long CLI work: a bar redrawn in place on a terminal, plain lines (at
 * most one per `everyMs`, and the last one always) when stderr is a file or a pipe.
 */
export class ProgressReporter {
  private lastLineAt = 0;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 5_000,
  ) {}

  get interactive(): boolean {
    return this.out.isTTY === true;
  }

  /** Shows `done` of `total` with a note; `final` forces a plain line. */
  update(label: string, done: number, total: number, note = "", final = false): void {
    const share = total === 0 ? 1 : Math.min(1, done / total);
    const percent = `${Math.floor(share * 100)}%`.padStart(4);
    if (this.interactive) {
      const width = 30;
      const filled = Math.round(share * width);
      const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
      this.out.write(`\r\x1b[2K${label} ${bar} ${percent} ${done}/${total} ${note}`);
      this.drawn = true;
      if (final) this.end();
      return;
    }
    const now = Date.now();
    if (!final && now - this.lastLineAt < this.everyMs) return;
    this.lastLineAt = now;
    this.out.write(`${label}: ${done}/${total} (${percent.trim()}) ${note}\n`);
  }

  /** Ends the bar's line so the next output starts on its own. */
  end(): void {
    if (this.drawn) this.out.write("\n");
    this.drawn = false;
  }
}
