// The imports of `wit/connector.wit` (itwin:connector@0.1.1) as componentize-js presents them:
// records with camelCase fields, `option<T>` as `T | undefined`, `u64` as `bigint`, enums as
// strings, variants as `{ tag, val }`, and a `result` error thrown (a ComponentError whose
// `payload` is the error). test/wit.test.ts checks every function here against the WIT.

declare module "itwin:connector/types@0.1.1" {
  export type ItemState = "unchanged" | "new" | "changed";
  export interface SourceItem {
    id: string;
    kind?: string;
    scope?: string;
    version?: string;
    checksum?: string;
  }
  export interface ChangeResult {
    state: ItemState;
    elementId?: string;
  }
  export interface SourceDocument {
    docid: string;
    description?: string;
    lastModified?: string;
    checksum?: string;
    url?: string;
  }
  export interface DocumentRecord {
    state: ItemState;
    repositoryLink: string;
    externalSource: string;
  }
  export type DeletionMode = "channel" | "file" | "none";
  export type CodeScope = "repository" | "model" | "parent-element" | "related-element";
  export interface ConnectorInfo {
    name: string;
    version: string;
    description: string;
    deletion: DeletionMode;
  }
  export type SyncErrorKind =
    | "invalid-props"
    | "unknown-class"
    | "out-of-scope"
    | "duplicate-code"
    | "not-found"
    | "wrong-class"
    | "host-failure";
  export interface SyncError {
    tag: SyncErrorKind;
    val: string;
  }
  export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";
}

declare module "itwin:connector/host@0.1.1" {
  import type { LogLevel } from "itwin:connector/types@0.1.1";
  export function log(level: LogLevel, message: string): void;
  export function progress(done: bigint, total: bigint | undefined): void;
  export function connectorArgs(): string;
  export function sourceSize(): bigint;
  export function readSource(offset: bigint, length: number): Uint8Array;
}

declare module "itwin:connector/synchronizer@0.1.1" {
  import type {
    ChangeResult,
    CodeScope,
    DocumentRecord,
    SourceDocument,
    SourceItem,
    SyncError,
  } from "itwin:connector/types@0.1.1";
  export type Result<T> = { tag: "ok"; val: T } | { tag: "err"; val: SyncError };
  export function jobSubject(): string;
  export function recordDocument(doc: SourceDocument): DocumentRecord;
  export function detectChanges(item: SourceItem): ChangeResult;
  export function detectChangesBatch(items: SourceItem[]): ChangeResult[];
  export function updateImodel(item: SourceItem, element: string): string;
  export function updateImodelBatch(items: [SourceItem, string][]): Result<string>[];
  export function onElementSeen(id: string): void;
  export function onElementsSeen(ids: string[]): void;
  export function insertElement(props: string): string;
  export function updateElement(props: string): void;
  export function deleteElement(id: string): void;
  export function insertModel(props: string): string;
  export function insertRelationship(props: string): string;
  export function findRelationships(classFullName: string, source: string): [string, string][];
  export function deleteRelationship(classFullName: string, id: string): void;
  export function findElementByCode(spec: string, scope: string, value: string): string | undefined;
  export function elementProps(id: string): string | undefined;
  export function ensureCodeSpec(name: string, scope: CodeScope): string;
  export function setSourceUnits(metresPerUnit: number): void;
}
