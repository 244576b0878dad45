import { Global, Module } from '@nestjs/common';
import { Clock } from './clock';
import { SecretBox } from './secret-box';

/** Side effects every module may use: the clock and the secret box. */
@Global()
@Module({
  providers: [Clock, SecretBox],
  exports: [Clock, SecretBox],
})
export class CommonModule {}
