// The SDK for iTwin connectors in TypeScript, for itwin-host (componentize-js components):
//
//   import { Connector, exportConnector, sync } from "@itwin-host/connector";
//   class Hello extends Connector {
//     info() { return { name: "Hello", version: "1.0.0", description: "Says hello" }; }
//     openSourceData(source: string) { sync.log("info", `reading ${source}`); }
//     updateExistingData() {}
//   }
//   export const connector = exportConnector(new Hello());
//
// The same concepts as the Rust and Python SDKs: docs/sdk.md in the itwin-host repository.

export * as sync from "./sync.ts";
export { checksum, checksums, type Json } from "./sync.ts";
export { Connector, Counts, exportConnector, type ConnectorExport, type Info } from "./connector.ts";
export { ConnectorError, context, describe, SyncError, type SyncErrorKind } from "./errors.ts";
export * from "./props.ts";
export { parseElements, splitJson, type SplitJson } from "./json-stream.ts";
