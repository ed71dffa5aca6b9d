// What StarlingMonkey (componentize-js's engine) and Node both provide, beyond ES2022.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string);
  decode(input?: Uint8Array): string;
}
