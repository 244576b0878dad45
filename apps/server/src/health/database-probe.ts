import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApiProblem } from '../common/problem';

const PROBE_TIMEOUT_MS = 2_000;

/** `SELECT 1` against the database, bounded in time; a failure is a 503. */
@Injectable()
export class DatabaseProbe {
  private readonly logger = new Logger('Readiness');

  constructor(private readonly dataSource: DataSource) {}

  async assertReachable(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)),
            PROBE_TIMEOUT_MS,
          );
        }),
      ]);
    } catch (error) {
      this.logger.warn(`database unreachable: ${(error as Error).message}`);
      throw new ApiProblem(503, 'The database is unreachable.');
    } finally {
      clearTimeout(timer);
    }
  }
}
