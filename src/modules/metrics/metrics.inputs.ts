import { Field, ID, InputType } from 'type-graphql';
import { ArrayMaxSize, IsEnum, IsUUID, MaxLength } from 'class-validator';
import { Clearable, IsText } from '../../common/validation';
import { CoverageStatus } from '../coverage/coverage.types';

@InputType({ description: 'Which flat coverage rows; every list left out or empty matches all.' })
export class CoverageRowFilter {
  @Field(() => [ID], { nullable: true, description: 'Only these scopes (exactly these: child scopes are not added).' })
  @Clearable()
  @ArrayMaxSize(500)
  @IsUUID('all', { each: true, message: 'must be scope ids' })
  scopeIds?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Only these framework keys, e.g. `iso27001-2022`.' })
  @Clearable()
  @ArrayMaxSize(100)
  @IsText({ each: true })
  @MaxLength(200, { each: true })
  frameworkKeys?: string[] | null;

  @Field(() => [CoverageStatus], { nullable: true, description: 'Only these statuses.' })
  @Clearable()
  @IsEnum(CoverageStatus, { each: true })
  statuses?: CoverageStatus[] | null;

  @Field(() => [String], { nullable: true, description: 'Only requirements under these top-level groups, e.g. `A.5`, `9` or `GV`.' })
  @Clearable()
  @ArrayMaxSize(100)
  @IsText({ each: true })
  @MaxLength(200, { each: true })
  groupCodes?: string[] | null;
}
