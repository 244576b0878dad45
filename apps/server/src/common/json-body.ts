import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { TextDecoder } from 'node:util';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** `application/json` and `application/*+json`, with or without parameters. */
export const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

/**
 * An error reading a request body, shaped like express's body-parser errors (http-errors): a 4xx
 * `status`, usually a `type`, `expose`; ProblemFilter turns it into problem+json.
 */
export class BodyReadError extends Error {
  readonly expose = true;
  constructor(
    readonly status: number,
    message: string,
    readonly type?: string,
    readonly limit?: number,
  ) {
    super(message);
  }
}

/** Bad JSON is a SyntaxError, as from body-parser: Nest maps it to a 400 BadRequestException. */
class BodySyntaxError extends SyntaxError {
  readonly status = 400;
  readonly type = 'entity.parse.failed';
  readonly expose = true;
}

function charsetOf(contentType: string): string {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match?.[1]?.toLowerCase() ?? 'utf-8';
}

function decoderFor(contentEncoding: string): Transform | null {
  switch (contentEncoding) {
    case 'identity':
      return null;
    case 'gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      throw new BodyReadError(
        415,
        `unsupported content encoding "${contentEncoding}"`,
        'encoding.unsupported',
      );
  }
}

/** Whether the request carries a body at all (type-is's hasBody, as body-parser checks it). */
function hasBody(request: IncomingMessage): boolean {
  return (
    request.headers['transfer-encoding'] !== undefined ||
    !Number.isNaN(Number.parseInt(request.headers['content-length'] ?? '', 10))
  );
}

/**
 * Reads a JSON request body the way express's `json()` body parser does for this app: only JSON
 * content types (anything else is left unread, as `undefined`), UTF charsets, gzip/deflate/br
 * Content-Encoding inflated (others refused with 415), at most `limit` bytes after inflating (413),
 * strict JSON (an object or an array; empty is `{}`). `__proto__` and `constructor` keys stay data:
 * `JSON.parse` never assigns prototypes.
 */
export function readJsonBody(request: IncomingMessage, limit: number): Promise<unknown> {
  const contentType = request.headers['content-type'] ?? '';
  if (!hasBody(request) || !JSON_TYPE.test(contentType)) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const charset = charsetOf(contentType);
    let decoder: TextDecoder;
    let source: Readable;
    let inflate: Transform | null = null;
    try {
      if (!charset.startsWith('utf-')) {
        throw new BodyReadError(415, `unsupported charset "${charset.toUpperCase()}"`, 'charset.unsupported');
      }
      try {
        decoder = new TextDecoder(charset, { fatal: false });
      } catch {
        throw new BodyReadError(415, `unsupported charset "${charset.toUpperCase()}"`, 'charset.unsupported');
      }
      inflate = decoderFor((request.headers['content-encoding'] ?? 'identity').toLowerCase());
      if (inflate === null) {
        const declared = Number(request.headers['content-length']);
        if (declared > limit) {
          throw new BodyReadError(413, 'request entity too large', 'entity.too.large', limit);
        }
        source = request;
      } else {
        const stream = inflate;
        source = request.pipe(stream);
        request.on('error', (error) => stream.destroy(error));
      }
    } catch (error) {
      request.resume();
      reject(error);
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      if (inflate) {
        request.unpipe(inflate);
        inflate.destroy();
      }
      request.resume();
      reject(error);
    };
    source.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        fail(new BodyReadError(413, 'request entity too large', 'entity.too.large', limit));
        return;
      }
      chunks.push(chunk);
    });
    source.on('error', (error: Error) => fail(new BodyReadError(400, error.message)));
    request.on('aborted', () => fail(new BodyReadError(400, 'request aborted', 'request.aborted')));
    source.on('end', () => {
      if (settled) return;
      settled = true;
      try {
        resolve(parseStrictJson(decoder.decode(Buffer.concat(chunks))));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** body-parser's strict mode: an empty body is `{}`; otherwise only an object or an array. */
function parseStrictJson(text: string): unknown {
  if (text.length === 0) return {};
  const first = /^[ \t\n\r]*([^ \t\n\r]|$)/.exec(text)?.[1];
  if (first !== '{' && first !== '[') {
    const at = first ? text.indexOf(first) : text.length;
    throw new BodySyntaxError(
      `Unexpected token '${first ?? ''}', "${text.slice(0, 20)}" is not valid JSON at position ${at}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BodySyntaxError((error as Error).message);
  }
}
