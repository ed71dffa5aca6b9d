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
