import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3Config } from '../objects/s3.js';
import { parseAuthorization, verifySignature } from '../protocol/sigv4.js';

/**
 * A small S3-compatible object store for tests: PUT, GET, HEAD and DELETE of path-style objects, each
 * request's SigV4 signature (service `s3`) checked with the server's own verifier, so a request
 * Capstan signs wrongly is refused with 403 as a real store would refuse it.
 */
export interface TestS3Store {
  config: S3Config;
  /** `/<bucket>/<key>` (decoded) → body. */
  objects: Map<string, string>;
  /** The same objects' bytes, as GET answers them. */
  bytes: Map<string, Buffer>;
  /** Why refused requests were refused. */
  problems: string[];
  /** Answer every request with this status instead (to see failures handled). */
  failWith?: number;
  close(): Promise<void>;
}

export async function startS3Store(secretAccessKey = 'test-s3-secret-key-000000000000000000'): Promise<TestS3Store> {
  const objects = new Map<string, string>();
  const bytes = new Map<string, Buffer>();
  const problems: string[] = [];
  const store: TestS3Store = { config: undefined as never, objects, bytes, problems, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (store.failWith) return void res.writeHead(store.failWith).end('<Error><Code>InternalError</Code></Error>');
      try {
        const url = req.url ?? '/';
        const signed = { method: req.method ?? 'PUT', path: url, query: '', headers: req.headers, body };
        verifySignature(signed, parseAuthorization(signed, new Date(), ['s3']), secretAccessKey);
        const key = decodeURIComponent(url);
        if (req.method === 'GET' || req.method === 'HEAD') {
          const found = bytes.get(key);
          if (!found) return void res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>');
          res.writeHead(200, { 'content-length': found.length });
          return void res.end(req.method === 'GET' ? found : undefined);
        }
        if (req.method === 'PUT') {
          objects.set(key, body.toString());
          bytes.set(key, body);
        } else if (req.method === 'DELETE') {
          objects.delete(key);
          bytes.delete(key);
        } else return void res.writeHead(405).end();
        res.writeHead(req.method === 'DELETE' ? 204 : 200).end();
      } catch (e) {
        problems.push((e as Error).message);
        res.writeHead(403).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  store.config = { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1', accessKeyId: 'TESTS3KEY', secretAccessKey };
  store.close = () => new Promise<void>((r) => server.close(() => r()));
  return store;
}
