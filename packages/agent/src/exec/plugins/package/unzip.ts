import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_ENTRY = 0x02014b50;
const LOCAL_ENTRY = 0x04034b50;
const MAX_ENTRIES = 10_000;

export class ZipError extends Error {}

interface Entry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  mode: number | undefined;
}

/**
 * The entries of a zip archive (stored or deflated, as every packaging tool writes them), read
 * from its central directory. Zip64 and encrypted archives are refused: a package's archive is
 * well under 4 GB and a node has no password for it.
 */
function entries(zip: Buffer): Entry[] {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError('not a zip archive (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || at === 0xffffffff) throw new ZipError('zip64 archives are not supported');
  if (count > MAX_ENTRIES) throw new ZipError(`the archive has ${count} entries, more than ${MAX_ENTRIES}`);
  const out: Entry[] = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL_ENTRY) throw new ZipError('the zip central directory is damaged');
    const flags = zip.readUInt16LE(at + 8);
    if (flags & 1) throw new ZipError('encrypted zip entries are not supported');
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const madeBy = zip.readUInt16LE(at + 4) >> 8;
    const external = zip.readUInt32LE(at + 38);
    out.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      method: zip.readUInt16LE(at + 10),
      crc: zip.readUInt32LE(at + 16),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      localOffset: zip.readUInt32LE(at + 42),
      // Unix permissions when a Unix tool made the archive (host 3), in the high half.
      mode: madeBy === 3 ? (external >>> 16) & 0o777 : undefined,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}

function data(zip: Buffer, e: Entry): Buffer {
  const at = e.localOffset;
  if (at + 30 > zip.length || zip.readUInt32LE(at) !== LOCAL_ENTRY) throw new ZipError(`${e.name}: its local header is damaged`);
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const raw = zip.subarray(start, start + e.compressedSize);
  if (raw.length !== e.compressedSize) throw new ZipError(`${e.name}: the archive ends inside it`);
  let out: Buffer;
  if (e.method === 0) out = raw;
  else if (e.method === 8) out = inflateRawSync(raw, { maxOutputLength: Math.max(e.size, 1) });
  else throw new ZipError(`${e.name}: compression method ${e.method} is not supported (stored and deflate are)`);
  if (out.length !== e.size || crc32(out) !== e.crc) throw new ZipError(`${e.name}: its content does not match its CRC-32`);
  return out;
}

/** Unpacks `zip` into `dir`; an entry naming a path outside `dir` refuses the whole archive. */
export async function unzip(zip: Buffer, dir: string): Promise<string[]> {
  const root = resolve(dir);
  const list = entries(zip);
  const planned = list.map((e) => {
    const target = resolve(root, e.name);
    const rel = relative(root, target);
    if (isAbsolute(e.name) || rel.startsWith('..') || isAbsolute(rel) || (rel === '' && !e.name.endsWith('/'))) throw new ZipError(`${e.name}: the entry would be written outside the package directory`);
    return { e, target };
  });
  const written: string[] = [];
  for (const { e, target } of planned) {
    if (e.name.endsWith('/')) {
      await mkdir(target, { recursive: true, mode: 0o700 });
      continue;
    }
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    await writeFile(target, data(zip, e), { mode: 0o600 });
    // Owner permissions as archived (scripts keep their execute bit), never group or world write.
    if (e.mode !== undefined) await chmod(target, (e.mode & 0o755) | 0o600);
    written.push(relative(root, target).split(sep).join('/'));
  }
  return written;
}
