export type WebhookVerificationErrorCode =
  | 'missing_signature_header'
  | 'invalid_signature_header'
  | 'timestamp_outside_tolerance'
  | 'signature_mismatch'
  | 'invalid_payload'
  | 'replayed_request';

// A registry-wide symbol rather than a plain class check: the CommonJS build bundles each entry point
// separately and an app may load both the ESM and CJS builds, so several copies of this class can
// coexist. `instanceof` must still work for an error thrown by any of them.
const brand = Symbol.for('@acme/webhook-verify/WebhookVerificationError');

export class WebhookVerificationError extends Error {
  readonly code: WebhookVerificationErrorCode;

  constructor(code: WebhookVerificationErrorCode, message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.code = code;
    Object.defineProperty(this, brand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && brand in value;
  }
}

/** The RFC 9457 body the middlewares answer with. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: WebhookVerificationErrorCode;
}

export function problemDetails(error: WebhookVerificationError, status = 400): ProblemDetails {
  return {
    // A URN, not a URL: there is no stable public page per code to point at.
    type: `urn:acme:webhook-verify:${error.code}`,
    title: 'Webhook verification failed',
    status,
    detail: error.message,
    code: error.code,
  };
}
