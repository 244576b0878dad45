import { Controller, Get, HttpCode } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { DatabaseProbe } from './database-probe';

@ApiTags('Operations')
@Public()
@Controller()
export class HealthController {
  constructor(private readonly database: DatabaseProbe) {}

  @Get('healthz')
  @HttpCode(200)
  @ApiOperation({ summary: 'The process is up' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'The database is reachable (else 503)' })
  @ApiOkResponse({ schema: { example: { status: 'ok', database: 'ok' } } })
  @ApiServiceUnavailableResponse({ description: 'Database unreachable (problem+json)' })
  async readyz(): Promise<{ status: 'ok'; database: 'ok' }> {
    await this.database.assertReachable();
    return { status: 'ok', database: 'ok' };
  }
}
