// The one webhook request every bench measurement sends (scripts/bench.mjs directly and through BullMQ,
// scripts/bench-relay.mjs after its hop), so the baselines and the relay cost the receiver exactly the same.
import { sign } from '@acme/webhook-verify';
import { request } from 'undici';

/** POSTs `event` as JSON, signed with `secret` (webhook-id = the event id); throws unless the answer is 2xx. */
export async function signedPost(dispatcher, url, secret, event) {
  const payload = JSON.stringify(event);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'bench',
    'x-webhook-event': event.type,
    ...sign({ payload, secret, id: event.id }),
  };
  const res = await request(url, { method: 'POST', body: payload, headers, dispatcher });
  await res.body.dump();
  if (res.statusCode >= 300) throw new Error(`receiver answered ${res.statusCode}`);
}
