// The synchronizer, typed: every write of a connector goes through here. Calls take the
// builders' objects, and throw SyncError for the host's refusals (componentize-js throws an
// Error whose `payload` is the WIT variant). Batch calls are cut to the host's limits.

import * as host from "itwin:connector/host@0.1.2";
import * as wit from "itwin:connector/synchronizer@0.1.2";
import type {
  ChangeResult,
  CodeScope,
  DocumentRecord,
  LogLevel,
  SourceDocument,
  SourceItem,
  SyncError as WitSyncError,
} from "itwin:connector/types@0.1.2";
import { BATCH_ITEMS, batches, CHECKSUM_BYTES, SEEN_IDS } from "./batches.ts";
import { ConnectorError, context, SyncError, type SyncErrorKind } from "./errors.ts";
import { appearanceProps, code, model, partition, PARTITION_SPEC, type Appearance, type Code, type PartitionKind } from "./props.ts";

export type { ChangeResult, DocumentRecord, SourceDocument, SourceItem };

function refusal(error: unknown): unknown {
  const payload = (error as { payload?: WitSyncError } | null)?.payload;
  return payload && typeof payload.tag === "string" ? new SyncError(payload.tag, String(payload.val)) : error;
}

function call<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    throw refusal(error);
  }
}

const utf8 = new TextEncoder();

/** `value` as UTF-8 JSON bytes, for the host's JSON calls. They take bytes because
 * componentize-js copies a Uint8Array natively, while it lowers a string at about 125 ns a
 * character in JavaScript; and it keeps every string and list a call sends until the export
 * returns, each later call scanning them all. So the SDK makes few calls, each with one buffer. */
const jsonBytes = (value: unknown): Uint8Array => utf8.encode(JSON.stringify(value));

/** The JSON array of `texts` (each already JSON) as UTF-8 bytes. */
const jsonArrayBytes = (texts: string[]): Uint8Array => utf8.encode(`[${texts.join(",")}]`);

/** JSON values a checksum is taken of (`undefined` members are left out, as JSON.stringify
 * leaves them; not-finite numbers count as null). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

/** Checksums of many values, in order: SHA-256, lower-case hex, of each value's RFC 8785
 * canonical JSON — the checksum the Rust and Python SDKs compute (docs/sdk.md). The host
 * computes them (`host.checksums-json`), a chunk of values a call: in JavaScript, interpreted,
 * canonical JSON and SHA-256 cost about 120 µs an item. */
export function checksums(values: Json[]): string[] {
  const texts = values.map((value) => JSON.stringify(value));
  const sums: string[] = [];
  for (const batch of batches(texts, (text) => text.length + 1, BATCH_ITEMS, CHECKSUM_BYTES)) {
    sums.push(...(JSON.parse(call(() => host.checksumsJson(jsonArrayBytes(batch)))) as string[]));
  }
  return sums;
}

/** The checksum of one value (see `checksums`, which takes a whole chunk in one host call). */
export const checksum = (value: Json): string => checksums([value])[0];

/** A source item to track. */
export function item(id: string, kind?: string, version?: string, checksum?: string, scope?: string): SourceItem {
  return { id, kind, version, checksum, scope };
}

export const jobSubject = (): string => wit.jobSubject();
export const recordDocument = (doc: SourceDocument): DocumentRecord => call(() => wit.recordDocument(doc));
export const detect = (source: SourceItem): ChangeResult => call(() => wit.detectChanges(source));

function itemBytes(source: SourceItem): number {
  return source.id.length + (source.kind?.length ?? 0) + (source.scope?.length ?? 0) +
    (source.version?.length ?? 0) + (source.checksum?.length ?? 0);
}

/** One answer of `update-imodel-json`. */
type Written = { id: string } | { error: { kind: SyncErrorKind; message: string } };

/** Change detection for any number of items; one result per item, in order. */
export function detectAll(items: SourceItem[]): ChangeResult[] {
  const results: ChangeResult[] = [];
  for (const batch of batches(items, itemBytes)) {
    results.push(...(JSON.parse(call(() => wit.detectChangesJson(jsonBytes(batch)))) as ChangeResult[]));
  }
  return results;
}

/** Writes the element for `source` (inserted, or updated in place); returns its id. */
export const update = (source: SourceItem, element: object): string =>
  call(() => wit.updateImodel(source, JSON.stringify(element)));

/** `update` for many [item, element] pairs; the ids in order. Each batch is sent whole; the
 * first refusal is thrown naming its item (and how many others were refused). */
export function updateAll(pairs: [SourceItem, object][]): string[] {
  const writes = pairs.map(([source, element]) => `{"item":${JSON.stringify(source)},"element":${JSON.stringify(element)}}`);
  const ids: string[] = [];
  let done = 0;
  for (const batch of batches(writes, (text) => text.length + 1)) {
    const refused: string[] = [];
    const written: Written[] = JSON.parse(call(() => wit.updateImodelJson(jsonArrayBytes(batch))));
    written.forEach((result, i) => {
      if ("id" in result) ids.push(result.id);
      else refused.push(`item ${pairs[done + i][0].id}: ${new SyncError(result.error.kind, result.error.message).message}`);
    });
    done += batch.length;
    if (refused.length > 0) {
      const more = refused.length > 1 ? ` (and ${refused.length - 1} more items refused)` : "";
      throw new ConnectorError(refused[0] + more);
    }
  }
  return ids;
}

export const seen = (id: string): void => wit.onElementSeen(id);

export function seenAll(ids: string[]): void {
  for (let i = 0; i < ids.length; i += SEEN_IDS) call(() => wit.onElementsSeenJson(jsonBytes(ids.slice(i, i + SEEN_IDS))));
}

export const insertElement = (props: object): string => call(() => wit.insertElement(JSON.stringify(props)));
export const updateElement = (props: object): void => call(() => wit.updateElement(JSON.stringify(props)));
export const deleteElement = (id: string): void => call(() => wit.deleteElement(id));
export const insertModel = (props: object): string => call(() => wit.insertModel(JSON.stringify(props)));
export const insertRelationship = (props: object): string => call(() => wit.insertRelationship(JSON.stringify(props)));
export const findRelationships = (classFullName: string, source: string): [string, string][] =>
  call(() => wit.findRelationships(classFullName, source));
export const deleteRelationship = (classFullName: string, id: string): void =>
  call(() => wit.deleteRelationship(classFullName, id));
export const findElement = (c: Code): string | undefined => call(() => wit.findElementByCode(c.spec, c.scope, c.value));
export const ensureCodeSpec = (name: string, scope: CodeScope = "model"): string => call(() => wit.ensureCodeSpec(name, scope));
export const setSourceUnits = (metresPerUnit: number): void => call(() => wit.setSourceUnits(metresPerUnit));

/** An element's props, parsed. */
export function elementProps(id: string): Record<string, unknown> | undefined {
  const text = call(() => wit.elementProps(id));
  return text === undefined ? undefined : JSON.parse(text);
}

/** A partition of `kind` named `name` under the job subject, and its model; the model's id. */
export function insertPartition(kind: PartitionKind, name: string): string {
  const job = jobSubject();
  return context(`partition ${name}`, () => insertModel(model(kind, insertElement(partition(kind, job, name)))));
}

/** The model of the job's partition `name`, as initializeJob created it. */
export function findModel(name: string): string {
  const job = jobSubject();
  const found = context(`partition ${name}`, () => findElement(code(PARTITION_SPEC, job, name)));
  if (found === undefined) throw new ConnectorError(`partition ${name} is missing under job subject ${job}`);
  return found;
}

/** `0x1a` → `0x1b`. */
export function nextId(id: string): string {
  return "0x" + (BigInt(id) + 1n).toString(16);
}

/** Sets what `appearance` gives on a category's default SubCategory (id + 1), keeping the rest. */
export function setSubCategoryAppearance(category: string, appearance: Appearance): void {
  const subCategory = nextId(category);
  const props = elementProps(subCategory);
  if (props === undefined) throw new ConnectorError(`default SubCategory ${subCategory} is missing`);
  const merged = { ...((props.appearance as object | undefined) ?? {}), ...appearanceProps(appearance) };
  updateElement({ id: subCategory, classFullName: props.classFullName ?? "BisCore:SubCategory", appearance: merged });
}

/** The job's connectorArgs ({} when none were given). */
export function connectorArgs(): Record<string, unknown> {
  try {
    return JSON.parse(host.connectorArgs());
  } catch {
    return {};
  }
}

export const progress = (done: number, total?: number): void =>
  host.progress(BigInt(done), total === undefined ? undefined : BigInt(total));
export const log = (level: LogLevel, message: string): void => host.log(level, message);

/** The whole source file as bytes, read through the host (componentize-js links no WASI
 * filesystem here), 16 MiB a call. Bytes live outside the JavaScript heap. */
export function readSourceBytes(): Uint8Array {
  const size = Number(host.sourceSize());
  const bytes = new Uint8Array(size);
  for (let offset = 0; offset < size; ) {
    const chunk = host.readSource(BigInt(offset), Math.min(16 << 20, size - offset));
    if (chunk.length === 0) throw new ConnectorError(`the source ended at ${offset} of ${size} bytes`);
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** The whole source file as text (for sources that fit the JavaScript heap; see splitJson). */
export function readSourceText(): string {
  return new TextDecoder().decode(readSourceBytes());
}
