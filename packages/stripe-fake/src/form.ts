/**
 * Parses Stripe's form encoding (`a[b]=c`, `items[0][price]=x`, `lookup_keys[0]=k`) into nested
 * objects and arrays. stripe-node sends bodies and GET/DELETE query strings this way.
 */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

export function parseForm(encoded: string): FormObject {
  const root: FormObject = {};
  for (const [key, value] of new URLSearchParams(encoded)) {
    assign(root, splitKey(key), value);
  }
  return arraysFromIndexes(root) as FormObject;
}

/** `items[0][price]` → ['items', '0', 'price']; `a[]` → ['a', ''] (an append). */
function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const segments = [key.slice(0, open)];
  for (const match of key.slice(open).matchAll(/\[([^\]]*)\]/g)) segments.push(match[1] ?? '');
  return segments;
}

function assign(target: FormObject, segments: string[], value: string): void {
  let node = target;
  for (let i = 0; i < segments.length; i++) {
    let segment = segments[i] ?? '';
    // `a[]=x` appends: give it the next free numeric index.
    if (segment === '') segment = String(Object.keys(node).length);
    if (i === segments.length - 1) {
      node[segment] = value;
      return;
    }
    const next = node[segment];
    if (typeof next === 'object' && !Array.isArray(next)) {
      node = next;
    } else {
      const created: FormObject = {};
      node[segment] = created;
      node = created;
    }
  }
}

/** Objects whose keys are all indexes (`0`, `1`, ...) become arrays, in index order. */
function arraysFromIndexes(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const converted: FormObject = {};
  for (const key of keys) converted[key] = arraysFromIndexes(value[key] as FormValue);
  if (keys.length > 0 && keys.every((key) => /^\d+$/.test(key))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((index) => converted[String(index)] as FormValue);
  }
  return converted;
}
