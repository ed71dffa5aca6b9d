// The connector base class and its export for componentize-js.

import type { ConnectorInfo, DeletionMode, ItemState } from "itwin:connector/types@0.1.2";
import { describe } from "./errors.ts";

export interface Info {
  name: string;
  version: string;
  description: string;
  /** "channel" (the default), "file" or "none". */
  deletion?: DeletionMode;
}

/** A connector's lifecycle, called by the host in the iTwin.js connector framework's order:
 * info, openSourceData, importDomainSchema, importDynamicSchema, jobSubjectName,
 * initializeJob (a job's first run only), importDefinitions, updateExistingData — or
 * unmapSource instead of the last two. Implement `info`, `openSourceData` and
 * `updateExistingData`; the others do nothing, as in the framework's BaseConnector.
 *
 * Throw anything: the SDK hands the host one line naming it (`TypeError: …`), or the host's
 * own message for a SyncError nothing caught. */
export abstract class Connector {
  abstract info(): Info;
  abstract openSourceData(source: string): void;
  importDomainSchema(): void {}
  importDynamicSchema(): void {}
  jobSubjectName(_source: string): string | undefined {
    return undefined;
  }
  initializeJob(): void {}
  importDefinitions(): void {}
  abstract updateExistingData(): void;
  unmapSource(_jobSubjectName: string): void {}
}

/** Change detection's answers, counted for a log line. */
export class Counts {
  new = 0;
  changed = 0;
  unchanged = 0;
  add(state: ItemState): void {
    this[state] += 1;
  }
  toString(): string {
    return `${this.new} new, ${this.changed} changed, ${this.unchanged} unchanged`;
  }
}

/** componentize-js returns a thrown string as the call's `err`, and traps on anything else
 * (losing its message): so every failure is thrown again as its one line. */
function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    throw describe(error);
  }
}

/** The WIT's `connector` interface as componentize-js calls it (src/wit.d.ts, generated). */
export type ConnectorExport = typeof import("itwin:connector/connector@0.1.2");

/** The `connector` export of the component: `export const connector = exportConnector(new My())`. */
export function exportConnector(instance: Connector): ConnectorExport {
  return {
    info(): ConnectorInfo {
      const info = instance.info();
      return { name: info.name, version: info.version, description: info.description, deletion: info.deletion ?? "channel" };
    },
    openSourceData: (source: string) => guard(() => instance.openSourceData(source)),
    importDomainSchema: () => guard(() => instance.importDomainSchema()),
    importDynamicSchema: () => guard(() => instance.importDynamicSchema()),
    jobSubjectName: (source: string) => instance.jobSubjectName(source),
    initializeJob: () => guard(() => instance.initializeJob()),
    importDefinitions: () => guard(() => instance.importDefinitions()),
    updateExistingData: () => guard(() => instance.updateExistingData()),
    unmapSource: (name: string) => guard(() => instance.unmapSource(name)),
  };
}
