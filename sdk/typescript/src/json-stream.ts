// Reading a large JSON source a part at a time. StarlingMonkey's JavaScript heap is bounded
// (about 50,000 parsed register assets fit), so a connector keeps its source as bytes, outside
// the heap (sync.readSourceBytes), and parses one chunk of a big array at a time. Pure: no
// bindings, so node tests it.

/** A top-level JSON object with some array members left unparsed. */
export interface SplitJson {
  /** The object, each streamed member an empty array. */
  head: Record<string, any>;
  /** For each streamed member present: its elements' byte ranges [start, end). */
  arrays: Map<string, number[][]>;
}

const QUOTE = 34, BACKSLASH = 92, COMMA = 44, COLON = 58;
const OPEN_OBJECT = 123, CLOSE_OBJECT = 125, OPEN_ARRAY = 91, CLOSE_ARRAY = 93;

/** Splits the JSON object in `bytes` (UTF-8): the members named in `streamed` whose values are
 * arrays are not parsed, only their elements located, in one pass over the bytes; the rest is
 * parsed. Malformed JSON is reported by JSON.parse when the parts are parsed. */
export function splitJson(bytes: Uint8Array, streamed: string[]): SplitJson {
  const decoder = new TextDecoder();
  const arrays = new Map<string, number[][]>();
  const cut: number[][] = []; // [start, end) of each streamed array's contents
  let depth = 0, inString = false, expectKey = false, keyStart = -1, key = "";
  let current: number[][] | null = null, elementStart = -1, arrayOpen = -1;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) {
        inString = false;
        if (keyStart >= 0) {
          key = decoder.decode(bytes.subarray(keyStart, i));
          keyStart = -1;
        }
      }
      continue;
    }
    if (c <= 32) continue; // whitespace
    if (current !== null && depth === 2 && elementStart < 0 && c !== CLOSE_ARRAY) elementStart = i;
    if (c === QUOTE) {
      inString = true;
      if (depth === 1 && expectKey) keyStart = i + 1;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth === 1 && c === OPEN_ARRAY && streamed.includes(key) && !arrays.has(key)) {
        current = [];
        arrays.set(key, current);
        arrayOpen = i + 1;
      }
      depth++;
      if (depth === 1) expectKey = true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (current !== null && depth === 2) {
        if (elementStart >= 0) current.push([elementStart, end(bytes, i)]);
        cut.push([arrayOpen, i]);
        current = null;
        elementStart = -1;
      }
      depth--;
    } else if (c === COMMA) {
      if (depth === 1) expectKey = true;
      else if (current !== null && depth === 2) {
        current.push([elementStart, end(bytes, i)]);
        elementStart = -1;
      }
    } else if (c === COLON && depth === 1) {
      expectKey = false;
    }
  }
  // The head: everything but the streamed arrays' contents.
  let text = "", from = 0;
  for (const [start, stop] of cut) {
    text += decoder.decode(bytes.subarray(from, start));
    from = stop;
  }
  text += decoder.decode(bytes.subarray(from));
  return { head: JSON.parse(text), arrays };
}

/** Where an element ends: before `i`, trailing whitespace left out. */
function end(bytes: Uint8Array, i: number): number {
  while (i > 0 && bytes[i - 1] <= 32) i--;
  return i;
}

/** The elements at `ranges` (consecutive elements of one array), parsed in one go. */
export function parseElements(bytes: Uint8Array, ranges: number[][]): any[] {
  if (ranges.length === 0) return [];
  const text = new TextDecoder().decode(bytes.subarray(ranges[0][0], ranges[ranges.length - 1][1]));
  return JSON.parse("[" + text + "]");
}
