import { PlanParseError } from './errors';
import { TextDecoder } from 'node:util';

/**
 * Turning the bytes of a plan file into text. Shells write `terraform show -json` output in several encodings:
 * bash/zsh and PowerShell 7 write UTF-8, some editors and `Out-File -Encoding utf8` (PowerShell 5) add a BOM,
 * Windows PowerShell 5's `>` writes UTF-16 LE with a BOM, and Windows tools write CRLF line ends (harmless in JSON).
 * Anything else is refused with the encoding that was found, never decoded into garbage.
 */

export type PlanEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be';

export interface DetectedEncoding {
  encoding: PlanEncoding;
  /** Bytes to skip at the start (the byte-order mark). */
  skip: number;
  /** The TextDecoder label. */
  label: 'utf-8' | 'utf-16le' | 'utf-16be';
}

const ZIP = [0x50, 0x4b, 0x03, 0x04];
const GZIP = [0x1f, 0x8b];

function startsWith(head: Uint8Array, bytes: number[]): boolean {
  return bytes.every((b, i) => head[i] === b);
}

const RUN_SHOW = 'run `terraform show -json <planfile> > plan.json` (or `tofu show -json`) and pass that file';
const RESAVE = 'write it again as UTF-8 (PowerShell: `terraform show -json plan | Out-File -Encoding utf8 plan.json`)';

/**
 * Detects the encoding from the first bytes of a file (at least 4 when the file has them). Throws
 * {@link PlanParseError} for a binary planfile (zip), gzip, UTF-32 and other binary content.
 */
export function detectEncoding(head: Uint8Array, file: string): DetectedEncoding {
  if (startsWith(head, ZIP)) {
    throw new PlanParseError(file, `this is a binary Terraform planfile (a zip archive), not its JSON form: ${RUN_SHOW}`);
  }
  if (startsWith(head, GZIP)) throw new PlanParseError(file, `this is gzip-compressed data: decompress it first (gunzip), or ${RUN_SHOW}`);
  if (startsWith(head, [0xff, 0xfe, 0x00, 0x00]) || startsWith(head, [0x00, 0x00, 0xfe, 0xff])) {
    const le = head[0] === 0xff;
    throw new PlanParseError(file, `the file is UTF-32 ${le ? 'LE' : 'BE'} (byte-order mark ${le ? 'FF FE 00 00' : '00 00 FE FF'}), which is not supported: ${RESAVE}`);
  }
  if (startsWith(head, [0xef, 0xbb, 0xbf])) return { encoding: 'utf-8-bom', skip: 3, label: 'utf-8' };
  if (startsWith(head, [0xff, 0xfe])) return { encoding: 'utf-16le', skip: 2, label: 'utf-16le' };
  if (startsWith(head, [0xfe, 0xff])) return { encoding: 'utf-16be', skip: 2, label: 'utf-16be' };
  // No BOM. JSON text starts with an ASCII character, so NUL bytes in the first four tell UTF-16/32 apart
  // (RFC 4627 §3). Without a BOM we do not guess: PowerShell always writes one, anything else is unusual.
  if (head.length >= 4 && head[0] === 0 && head[1] === 0 && head[2] === 0 && head[3] !== 0) {
    throw new PlanParseError(file, `the file looks like UTF-32 BE without a byte-order mark, which is not supported: ${RESAVE}`);
  }
  if (head.length >= 4 && head[0] !== 0 && head[1] === 0 && head[2] === 0 && head[3] === 0) {
    throw new PlanParseError(file, `the file looks like UTF-32 LE without a byte-order mark, which is not supported: ${RESAVE}`);
  }
  if (head.length >= 2 && head[0] === 0 && head[1] !== 0) {
    throw new PlanParseError(file, `the file looks like UTF-16 BE without a byte-order mark, which is not supported: ${RESAVE}`);
  }
  if (head.length >= 2 && head[0] !== 0 && head[1] === 0) {
    throw new PlanParseError(file, `the file looks like UTF-16 LE without a byte-order mark, which is not supported: ${RESAVE}`);
  }
  return { encoding: 'utf-8', skip: 0, label: 'utf-8' };
}

/** Human name of an encoding for messages. */
export function encodingName(e: PlanEncoding): string {
  return { 'utf-8': 'UTF-8', 'utf-8-bom': 'UTF-8 with BOM', 'utf-16le': 'UTF-16 LE', 'utf-16be': 'UTF-16 BE' }[e];
}

/**
 * Decodes a file's bytes chunk by chunk (the reader streams large files). `fatal`: invalid byte sequences are an
 * error naming the encoding and the byte offset, e.g. a file saved as Windows-1252.
 */
export class PlanTextDecoder {
  private decoder: TextDecoder | undefined;
  private detected: DetectedEncoding | undefined;
  private offset = 0;
  private pending: Uint8Array = new Uint8Array(0);

  constructor(private readonly file: string) {}

  get encoding(): PlanEncoding | undefined {
    return this.detected?.encoding;
  }

  /** Decodes the next chunk; the first call needs ≥4 bytes (or the whole file) to detect the encoding. */
  write(chunk: Uint8Array, last = false): string {
    let bytes = chunk;
    if (!this.detected) {
      bytes = concat(this.pending, chunk);
      if (bytes.length < 4 && !last) {
        this.pending = bytes;
        return '';
      }
      this.pending = new Uint8Array(0);
      this.detected = detectEncoding(bytes, this.file);
      this.decoder = new TextDecoder(this.detected.label, { fatal: true, ignoreBOM: true });
      bytes = bytes.subarray(this.detected.skip);
      this.offset = this.detected.skip;
    }
    try {
      const text = (this.decoder as TextDecoder).decode(bytes, { stream: !last });
      this.offset += bytes.length;
      return text;
    } catch {
      const name = encodingName(this.detected.encoding);
      throw new PlanParseError(
        this.file,
        `not valid ${name} (an invalid byte sequence after byte ${this.offset.toLocaleString('en-US')}; another encoding such as Windows-1252 or Latin-1?): ${RESAVE}`,
      );
    }
  }

  /** Flushes the decoder at the end of the file. */
  end(): string {
    return this.write(new Uint8Array(0), true);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Decodes a whole file's bytes (see {@link PlanTextDecoder}). */
export function decodePlanBytes(bytes: Uint8Array, file: string): { text: string; encoding: PlanEncoding } {
  const decoder = new PlanTextDecoder(file);
  const text = decoder.write(bytes, true);
  return { text, encoding: decoder.encoding ?? 'utf-8' };
}
