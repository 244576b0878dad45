import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { ListQuery } from '../common/list-query.dto';

export const TENANT_ID = /^[A-Za-z0-9_.:-]{1,100}$/;
export const TENANT_ID_MESSAGE = 'must be 1–100 letters, digits, _, -, . or :';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'acme-corp' })
  @IsString()
  @Matches(TENANT_ID, { message: TENANT_ID_MESSAGE })
  tenant_id: string;

  @ApiProperty({ example: 'billing service', maxLength: 200 })
  @IsString()
  @Length(1, 200, { message: 'must be 1–200 characters' })
  name: string;
}

export class ListApiKeysQuery extends ListQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(TENANT_ID, { message: TENANT_ID_MESSAGE })
  tenant_id?: string;
}

export class CreatedApiKeyDto {
  @ApiProperty({ example: 'key_01JH2Y4S8M1V8X9Q2W3E4R5T6Y' })
  id: string;

  @ApiProperty({ description: 'The key itself. Shown only here, once; only its hash is stored.' })
  key: string;
}

export class ApiKeyDto {
  @ApiProperty({ example: 'key_01JH2Y4S8M1V8X9Q2W3E4R5T6Y' })
  id: string;

  @ApiProperty()
  tenant_id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_used_at: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;
}
