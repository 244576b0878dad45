/** What the verification pipeline needs from a crypto library. */
export interface CryptoProvider {
  hmacSha256(key: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  sha256(data: Uint8Array): Promise<Uint8Array>;
  /** Constant-time for equal lengths. */
  equal(a: Uint8Array, b: Uint8Array): boolean;
}

function subtle(): SubtleCrypto {
  const api = globalThis.crypto?.subtle;
  if (!api) {
    throw new Error(
      'WebCrypto (globalThis.crypto.subtle) is not available in this runtime. ' +
        'On Node 18 use verify() or run node with --experimental-global-webcrypto.',
    );
  }
  return api;
}

// WebCrypto's typings want ArrayBuffer-backed views; a Buffer from Node's pool is one, but TS cannot tell.
const view = (bytes: Uint8Array) => bytes as Uint8Array<ArrayBuffer>;

/** globalThis.crypto.subtle only: nothing here may import node:*, so it runs on edge runtimes. */
export const webCrypto: CryptoProvider = {
  async hmacSha256(key, message) {
    const cryptoKey = await subtle().importKey('raw', view(key), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    return new Uint8Array(await subtle().sign('HMAC', cryptoKey, view(message)));
  },
  async sha256(data) {
    return new Uint8Array(await subtle().digest('SHA-256', view(data)));
  },
  equal(a, b) {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
    return diff === 0;
  },
};
