export { WebhookVerificationError, type WebhookVerificationErrorCode } from './errors.js';
export type { HeadersInput } from './headers.js';
export {
  createMemoryReplayGuard,
  type MemoryReplayGuard,
  type MemoryReplayGuardOptions,
} from './replay-guard.js';
export { type SignatureHeaders, type SignInput, sign } from './sign.js';
export type { Payload, ReplayGuard, Secret, VerifyOptions, WebhookEvent } from './signature.js';
export { verify } from './verify.js';
export { verifyAsync } from './verify-async.js';
