import { describe, expect, it } from 'vitest';
import {
  AttemptErrorCode,
  AttemptTimeoutError,
  BlockedAddressError,
  classifyTransportError,
  describeTransportError,
} from './attempt-error';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('classifyTransportError', () => {
  it.each<[string, unknown, AttemptErrorCode]>([
    ['our timeout', new AttemptTimeoutError('timed out'), 'timeout'],
    ['abort', Object.assign(new Error('aborted'), { name: 'AbortError' }), 'timeout'],
    ['undici connect timeout', coded('UND_ERR_CONNECT_TIMEOUT'), 'timeout'],
    ['undici headers timeout', coded('UND_ERR_HEADERS_TIMEOUT'), 'timeout'],
    ['undici body timeout', coded('UND_ERR_BODY_TIMEOUT'), 'timeout'],
    ['refused', coded('ECONNREFUSED'), 'connection_refused'],
    ['host unreachable', coded('EHOSTUNREACH'), 'connection_refused'],
    ['reset', coded('ECONNRESET'), 'connection_reset'],
    ['undici other side closed', coded('UND_ERR_SOCKET', 'other side closed'), 'connection_reset'],
    ['broken pipe', coded('EPIPE'), 'connection_reset'],
    ['not found', coded('ENOTFOUND'), 'dns'],
    ['dns try again', coded('EAI_AGAIN'), 'dns'],
    ['self-signed', coded('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls'],
    ['expired', coded('CERT_HAS_EXPIRED'), 'tls'],
    ['alt name', coded('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls'],
    ['wrong version', coded('ERR_SSL_WRONG_VERSION_NUMBER'), 'tls'],
    ['blocked', new BlockedAddressError('127.0.0.1 is loopback'), 'blocked_address'],
    [
      'cause chain',
      Object.assign(new Error('fetch failed'), { cause: coded('ECONNREFUSED') }),
      'connection_refused',
    ],
    [
      'happy-eyeballs aggregate',
      Object.assign(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')], 'x'), {}),
      'connection_refused',
    ],
    [
      'blocked wins over anything',
      Object.assign(coded('ECONNRESET'), { cause: new BlockedAddressError('x') }),
      'blocked_address',
    ],
    ['unknown', new Error('weird'), 'connection_reset'],
    ['not an error', 'boom', 'connection_reset'],
  ])('%s → %s', (_name, error, expected) => {
    expect(classifyTransportError(error)).toBe(expected);
  });
});

describe('describeTransportError', () => {
  it('names the code once and stays short', () => {
    expect(describeTransportError(coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'))).toBe(
      'connect ECONNREFUSED 127.0.0.1:9',
    );
    expect(describeTransportError(coded('UND_ERR_SOCKET', 'other side closed'))).toBe(
      'UND_ERR_SOCKET: other side closed',
    );
    expect(describeTransportError(new Error('x'.repeat(5000))).length).toBe(1000);
  });

  it('folds a multi-line message (OpenSSL) into one line', () => {
    const tls = coded(
      'ERR_SSL_WRONG_VERSION_NUMBER',
      'C0:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:\n',
    );
    expect(describeTransportError(tls)).toBe(
      'ERR_SSL_WRONG_VERSION_NUMBER: C0:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:',
    );
  });
});
