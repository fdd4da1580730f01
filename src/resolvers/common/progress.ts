/** How long-running work (a rollup, an invoice run) reports how far it is: the CLI draws a bar. */
export type Progress = (phase: string, done: number, total: number) => void;
