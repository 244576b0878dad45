import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Caller, CurrentCaller } from '../auth/caller';
import { ApiPage, ApiProblems } from '../common/api-docs';
import { SecretResponse } from '../common/security-headers';
import {
  CreatedEndpointDto,
  CreateEndpointDto,
  EndpointDto,
  EndpointSecretDto,
  ListEndpointsQuery,
  RotateSecretDto,
  UpdateEndpointDto,
} from './endpoint.dto';
import { EndpointsService } from './endpoints.service';

@ApiTags('Endpoints')
@ApiBearerAuth()
@ApiProblems(401, 403)
@Controller('webhook-endpoints')
export class EndpointsController {
  constructor(private readonly endpoints: EndpointsService) {}

  @Post()
  @SecretResponse()
  @ApiOperation({ summary: 'Register an endpoint; the response carries its signing secret' })
  @ApiCreatedResponse({ type: CreatedEndpointDto })
  @ApiProblems(400, 413, 415)
  create(@CurrentCaller() caller: Caller, @Body() body: CreateEndpointDto): Promise<CreatedEndpointDto> {
    return this.endpoints.create(caller, body);
  }

  @Get()
  @ApiOperation({ summary: 'List endpoints, newest first' })
  @ApiPage(EndpointDto)
  @ApiProblems(400)
  list(@CurrentCaller() caller: Caller, @Query() query: ListEndpointsQuery) {
    return this.endpoints.list(caller, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an endpoint' })
  @ApiOkResponse({ type: EndpointDto })
  @ApiProblems(404)
  get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<EndpointDto> {
    return this.endpoints.get(caller, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change an endpoint; `status` enables or disables it' })
  @ApiOkResponse({ type: EndpointDto })
  @ApiProblems(400, 404, 413, 415)
  update(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
    @Body() body: UpdateEndpointDto,
  ): Promise<EndpointDto> {
    return this.endpoints.update(caller, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint; its pending and retrying deliveries are cancelled' })
  @ApiNoContentResponse()
  @ApiProblems(404)
  delete(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<void> {
    return this.endpoints.delete(caller, id);
  }

  @Get(':id/secret')
  @SecretResponse()
  @ApiOperation({ summary: 'Get the current signing secret' })
  @ApiOkResponse({ type: EndpointSecretDto })
  @ApiProblems(404)
  secret(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<EndpointSecretDto> {
    return this.endpoints.secret(caller, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @SecretResponse()
  @ApiOperation({ summary: 'Replace the signing secret; the old one keeps signing for the grace period' })
  @ApiOkResponse({ type: EndpointSecretDto })
  @ApiProblems(400, 404)
  rotateSecret(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
    @Body() body: RotateSecretDto,
  ): Promise<EndpointSecretDto> {
    return this.endpoints.rotateSecret(caller, id, body);
  }
}
