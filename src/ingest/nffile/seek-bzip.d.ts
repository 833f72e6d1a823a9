/** The part of seek-bzip 2.0.0 (MIT, no bundled types) that the BZ2 codec uses. */
declare module 'seek-bzip' {
  interface ByteInput {
    readByte(): number;
    read(buffer: Uint8Array, offset: number, length: number): number;
    seek(pos: number): void;
    eof(): boolean;
  }
  interface ByteOutput {
    writeByte(b: number): void;
    write?(buffer: Uint8Array, offset: number, length: number): number;
    flush?(): void;
  }
  const Bunzip: { decode(input: ByteInput | Uint8Array, output?: ByteOutput | Uint8Array | number, multistream?: boolean): Uint8Array | undefined };
  export default Bunzip;
}
