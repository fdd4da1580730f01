/**
 * A Postgres array literal for a list of texts, e.g. {"a","b\"c",NULL}: passed as one text
 * parameter and cast (`$1::text[]`), it carries any number of values through both drivers, which
 * disagree on how to send JavaScript arrays. Every element is quoted, so commas, braces and blanks
 * need no care; backslashes and double quotes are escaped.
 */
export function toPgArray(values: readonly (string | null)[]): string {
  const elements = values.map((value) =>
    value === null ? 'NULL' : `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`,
  );
  return `{${elements.join(',')}}`;
}
