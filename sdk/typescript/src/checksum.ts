// Checksums that agree across languages: SHA-256 of RFC 8785 (JCS) canonical JSON. The Rust
// and Python SDKs compute the same function (docs/sdk.md), so the same source item gets the
// same checksum, and the same ExternalSourceAspect, whichever language wrote it.

/** JSON values a checksum is taken of. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

/** The RFC 8785 text of `value`: keys sorted by UTF-16 code units, no whitespace, numbers as
 * ECMAScript prints them. Not-finite numbers throw; `undefined` members are left out. */
export function canonical(value: Json): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`${value} is not a JSON number`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  // Array.prototype.sort compares strings by UTF-16 code units, as JCS asks.
  const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
  return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k] as Json)).join(",") + "}";
}

const utf8 = new TextEncoder();

/** SHA-256, lower-case hex, of `value` as canonical JSON, hashed by `sha256Hex`. A connector
 * uses `checksum`, which passes the host's (`host.sha256-hex`): SHA-256 written in JavaScript
 * costs about 220 µs an item where the guest runs SpiderMonkey interpreted, the host's 2 µs. */
export function checksumWith(value: Json, sha256Hex: (bytes: Uint8Array) => string): string {
  return sha256Hex(utf8.encode(canonical(value)));
}
