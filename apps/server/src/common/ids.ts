import { monotonicFactory } from 'ulid';

export type IdPrefix = 'wh' | 'evt' | 'dlv' | 'att' | 'rpl' | 'key';

// Monotonic: ids made in the same millisecond still sort in creation order, which list paging relies on.
const ulid = monotonicFactory();

/** `evt_01J…`: a prefix naming the kind and a ULID, so ids sort by creation time. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ulid()}`;
}

const ID = /^(wh|evt|dlv|att|rpl|key)_[0-9A-HJKMNP-TV-Z]{26}$/;

/** True when `text` looks like an id of that kind (a cheap check before touching the database). */
export function isId(text: string, prefix: IdPrefix): boolean {
  const match = ID.exec(text);
  return match !== null && match[1] === prefix;
}
