/**
 * Node's Buffer as far as @capstan/wire/session uses it; the `buffer` package provides it at run
 * time (./buffer.ts). The console's typecheck compiles wire's sources (the capstan-src condition),
 * and neither ready-made typing fits: @types/node would put every Node global in scope of browser
 * code, and the `buffer` package's typings lag its code (BigInt reads typed as the wrapper object,
 * subarray as a plain Uint8Array). So a wire change that uses more of Buffer fails this typecheck
 * until the member is added here, after checking the polyfill has it (shims.test.ts runs wire's
 * codec on it).
 */
declare global {
  type BufferEncoding = 'utf8' | 'hex' | 'base64' | 'latin1';

  interface Buffer extends Uint8Array {
    subarray(start?: number, end?: number): Buffer;
    toString(encoding?: BufferEncoding): string;
    write(text: string, offset: number, encoding: BufferEncoding): number;
    copy(target: Uint8Array, targetStart?: number, sourceStart?: number, sourceEnd?: number): number;
    equals(other: Uint8Array): boolean;
    readUInt8(offset: number): number;
    writeUInt8(value: number, offset: number): number;
    readUInt32BE(offset: number): number;
    writeUInt32BE(value: number, offset: number): number;
    readBigUInt64BE(offset: number): bigint;
    writeBigUInt64BE(value: bigint, offset: number): number;
    readBigInt64BE(offset: number): bigint;
    writeBigInt64BE(value: bigint, offset: number): number;
  }

  interface BufferConstructor {
    alloc(size: number): Buffer;
    allocUnsafe(size: number): Buffer;
    from(text: string, encoding?: BufferEncoding): Buffer;
    from(memory: ArrayBufferLike, byteOffset?: number, length?: number): Buffer;
    from(bytes: Uint8Array | readonly number[]): Buffer;
    concat(list: readonly Uint8Array[], totalLength?: number): Buffer;
    isBuffer(value: unknown): value is Buffer;
  }

  var Buffer: BufferConstructor;
}

export {};
