import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { HttpSender } from '../net/http-sender';

/** The process's HTTP client for deliveries, configured from AppConfig; its pools close at shutdown. */
@Injectable()
export class DeliverySender extends HttpSender implements OnApplicationShutdown {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super({ timeoutMs: config.requestTimeoutMs, allowPrivateTargets: config.allowPrivateTargets });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.destroy();
  }
}
