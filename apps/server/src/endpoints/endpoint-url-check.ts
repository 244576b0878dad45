import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { checkEndpointUrl } from '../net/url-policy';

/** The registration-time URL policy (scheme, credentials, private addresses) with this server's settings. */
@Injectable()
export class EndpointUrlCheck {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Null when acceptable, else a message for the `url` field. */
  problem(url: string): Promise<string | null> {
    return checkEndpointUrl(url, {
      allowPrivateTargets: this.config.allowPrivateTargets,
      allowInsecureHttp: this.config.allowInsecureHttp,
      production: this.config.production,
    });
  }
}
