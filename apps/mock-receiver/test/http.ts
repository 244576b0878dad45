import { request } from 'node:http';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export type Result =
  | { kind: 'answer'; answer: Answer; ms: number }
  | { kind: 'error'; code: string; ms: number };

/** One HTTP request on a fresh connection; socket errors and client timeouts are results, not throws. */
export function send(
  url: string,
  init: {
    method?: string;
    body?: string | Buffer;
    headers?: Record<string, string>;
    timeoutMs?: number;
  } = {},
): Promise<Result> {
  const started = Date.now();
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: init.method ?? 'POST',
        headers: { 'content-type': 'application/json', ...init.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error: NodeJS.ErrnoException) =>
          resolve({ kind: 'error', code: error.code ?? error.message, ms: Date.now() - started }),
        );
        res.on('end', () =>
          resolve({
            kind: 'answer',
            answer: {
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString(),
            },
            ms: Date.now() - started,
          }),
        );
      },
    );
    req.setTimeout(init.timeoutMs ?? 5000, () => {
      req.destroy();
      resolve({ kind: 'error', code: 'CLIENT_TIMEOUT', ms: Date.now() - started });
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ kind: 'error', code: error.code ?? error.message, ms: Date.now() - started }),
    );
    req.end(init.body ?? '{}');
  });
}

export async function status(url: string, init?: Parameters<typeof send>[1]): Promise<number | string> {
  const result = await send(url, init);
  return result.kind === 'answer' ? result.answer.status : result.code;
}
