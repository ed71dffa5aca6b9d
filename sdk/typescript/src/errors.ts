// Errors: the host's refusals (SyncError) and the one line a failed lifecycle call returns.

import type { SyncError as WitSyncError } from "itwin:connector/types@0.1.2";

/** The WIT's `sync-error` cases: `invalid-props`, `out-of-scope`, `duplicate-code`… */
export type SyncErrorKind = WitSyncError["tag"];

/** The host refused a synchronizer request: `kind` is the WIT case (`duplicate-code`…),
 * `message` the host's one line naming the element and the cause. */
export class SyncError extends Error {
  constructor(readonly kind: SyncErrorKind, readonly hostMessage: string) {
    super(`${kind}: ${hostMessage}`);
    this.name = "SyncError";
  }
}

/** A failure the connector describes itself; shown as its message alone. */
export class ConnectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConnectorError";
  }
}

/** One line: a SyncError or ConnectorError as its message, another Error as `Name: message`
 * (`TypeError: x is undefined`), anything else thrown as its text. */
export function describe(error: unknown): string {
  let text: string;
  if (error instanceof SyncError || error instanceof ConnectorError) text = error.message;
  else if (error instanceof Error) text = error.message ? `${error.name}: ${error.message}` : error.name;
  else if (typeof error === "string") text = error;
  else text = `thrown: ${safeString(error)}`;
  return text.replace(/[\r\n]+/g, " ");
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Runs `f`, putting `what: ` in front of what it throws. */
export function context<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (error) {
    throw new ConnectorError(`${what}: ${describe(error)}`);
  }
}
