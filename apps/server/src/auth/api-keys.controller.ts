import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiPage, ApiProblems } from '../common/api-docs';
import { SecretResponse } from '../common/security-headers';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto, ListApiKeysQuery } from './api-key.dto';
import { ApiKeysService } from './api-keys.service';
import { AdminOnly } from './auth.decorators';

@ApiTags('API keys')
@ApiBearerAuth()
@ApiProblems(401, 403)
@AdminOnly()
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @SecretResponse()
  @ApiOperation({ summary: 'Issue a tenant API key (admin only); the key is shown once' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiProblems(400)
  create(@Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.apiKeys.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'List active tenant API keys (admin only)' })
  @ApiPage(ApiKeyDto)
  list(@Query() query: ListApiKeysQuery) {
    return this.apiKeys.list(query);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a tenant API key (admin only)' })
  @ApiNoContentResponse()
  @ApiProblems(404)
  revoke(@Param('id') id: string): Promise<void> {
    return this.apiKeys.revoke(id);
  }
}
