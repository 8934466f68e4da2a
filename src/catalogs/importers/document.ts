import { badInput, type ErrorDetails } from '../../common/errors';

/** Where an import fault is: a JSON-style path into the document, and its line when known. */
export interface Place {
  path?: string;
  line?: number;
}

/** BAD_USER_INPUT naming the place of an import fault (`extensions.path` / `extensions.line`). */
export function importFault(message: string, place: Place): never {
  const details: ErrorDetails = {};
  if (place.path !== undefined) details.path = place.path;
  if (place.line !== undefined) details.line = place.line;
  throw badInput(message, undefined, details);
}

/** 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) line += 1;
  }
  return line;
}

/**
 * Offset of the first syntax error in a JSON text (V8's messages do not always carry one), found
 * with a small recursive-descent scanner; null when the text is valid.
 */
export function jsonErrorOffset(text: string): number | null {
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  class Stop extends Error {}
  const stop = (): never => {
    throw new Stop();
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else stop();
  };
  const string = () => {
    if (text[i] !== '"') stop();
    i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 32) stop();
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i += 2;
            stop();
          }
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else {
          i++;
          stop();
        }
      } else i++;
    }
    stop();
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match || match[0] === '' || match[0] === '-') stop();
    i += match![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 512) stop();
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        string();
        ws();
        if (text[i] !== ':') stop();
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        stop();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        stop();
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    return number();
  };
  try {
    value(0);
    ws();
    return i < text.length ? i : null;
  } catch (err) {
    if (err instanceof Stop) return Math.min(i, text.length);
    throw err;
  }
}

/**
 * Refuses a NUL (`\u0000`) in any key or string of a parsed document: PostgreSQL text cannot hold
 * one, so it would fail the import's INSERT instead of naming the place.
 */
export function rejectNul(document: unknown): void {
  // iterative: a valid document may nest deeper than the call stack
  const stack: Array<[unknown, string]> = [[document, '']];
  while (stack.length) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) importFault(`${path || '$'} contains a NUL character`, { path: path || '$' });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], childPath(path, i)]);
    } else if (isObject(value)) {
      for (const [key, item] of Object.entries(value).reverse()) {
        if (key.includes('\u0000')) importFault(`A key in ${path || '$'} contains a NUL character`, { path: path || '$' });
        stack.push([item, childPath(path, key)]);
      }
    }
  }
}

/** Parses a JSON document; a syntax error is BAD_USER_INPUT with `path: "$"` and the line of the fault, a NUL in a string names its path. */
export function parseJsonDocument(text: string, what: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const offset = jsonErrorOffset(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    const line = offset === null ? undefined : lineAt(text, offset);
    const reason = err instanceof Error ? err.message : String(err);
    importFault(`The ${what} is not valid JSON${line ? ` (line ${line})` : ''}: ${reason.length > 200 ? `${reason.slice(0, 200)}…` : reason}`, { path: '$', line });
  }
  rejectNul(parsed);
  return parsed;
}

/** JSON path of a child: `a.b[2]` style, with bracket quotes for keys that are not identifiers. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const part = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (!parent || parent === '$') return part.startsWith('[') ? `$${part}` : part;
  return part.startsWith('[') ? `${parent}${part}` : `${parent}.${part}`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
