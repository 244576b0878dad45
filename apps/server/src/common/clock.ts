import { Injectable } from '@nestjs/common';

/** The time, behind a class so tests can pin it (`{ provide: Clock, useValue: { now: () => fixed } }`). */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
