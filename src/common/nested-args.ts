import { ArgsType, Field, Int } from 'type-graphql';
import { Max, Min } from 'class-validator';
import { IsText } from './validation';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination';

/** Paging of a nested connection (scope.risks, scope.controls): fixed order, keyset cursor. */
@ArgsType()
export class NestedPageArgs {
  @Field(() => Int, { nullable: true, description: `Page size, default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}.` })
  @Min(0)
  @Max(MAX_PAGE_SIZE)
  first?: number;

  @Field(() => String, { nullable: true, description: 'Cursor after which the page starts.' })
  @IsText()
  after?: string;
}
