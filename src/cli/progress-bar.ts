/** A one-line progress bar on stderr (a terminal) or plain progress lines (a log). */
export function progressBar(phase: string, done: number, total: number): void {
  const width = 30;
  const share = total === 0 ? 1 : done / total;
  const filled = Math.round(share * width);
  const line = `${phase.padEnd(10)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
  if (process.stderr.isTTY) {
    process.stderr.write(`\r${line}${done >= total ? '\n' : ''}`);
  } else if (done >= total) {
    process.stderr.write(`${line}\n`);
  }
}
