// Cutting batch calls to the host's limits (pure: no bindings, unit-tested in node).

/** Items per batch call (the host takes at most 10,000). */
export const BATCH_ITEMS = 10_000;
/** Text per batch call (the host takes at most 64 MiB; half leaves room). */
export const BATCH_BYTES = 32 << 20;
/** Text per host.checksums-json call (the host takes at most 16 MiB; half leaves room). */
export const CHECKSUM_BYTES = 8 << 20;
/** Ids per on-elements-seen call (the host's limit). */
export const SEEN_IDS = 100_000;

/** `items` cut into runs of at most `maxItems` and, unless one item alone is larger,
 * `maxBytes` by `size(item)`. */
export function batches<T>(items: T[], size: (item: T) => number, maxItems = BATCH_ITEMS, maxBytes = BATCH_BYTES): T[][] {
  const out: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (batch.length > 0 && (batch.length === maxItems || bytes + n > maxBytes)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += n;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}
