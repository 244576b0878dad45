import type { Outcome } from './behavior.js';
import type { ReceivedRequest } from './receiver.js';

export function verdictLabel(signature: ReceivedRequest['signature']): string {
  if (signature.valid === null) return 'unchecked';
  return signature.valid ? 'valid' : `invalid (${signature.error})`;
}

function answerLabel(outcome: Outcome): string {
  const delay = outcome.delayMs > 0 ? ` after ${outcome.delayMs}ms` : '';
  switch (outcome.kind) {
    case 'timeout':
      return 'timeout (holding the connection, no answer)';
    case 'reset':
      return `reset${delay}`;
    case 'status':
      return `${outcome.status}${outcome.retryAfterSeconds === undefined ? '' : ` Retry-After: ${outcome.retryAfterSeconds}`}${delay}`;
  }
}

/** One line per request: time, method, path, event, signature verdict, what is answered. */
export function formatRequestLine(record: ReceivedRequest, outcome: Outcome): string {
  const event = [record.event_type, record.event_id].filter(Boolean).join(' ') || '-';
  return `${record.received_at} ${record.method} ${record.path} ${event} signature=${verdictLabel(record.signature)} -> ${answerLabel(outcome)}`;
}
