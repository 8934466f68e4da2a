import { Field, ID, InputType } from 'type-graphql';
import { IsUUID, MaxLength } from 'class-validator';
import { Clearable, IsText } from '../../common/validation';
import { EntityType } from '../../db/events';

@InputType({ description: 'Which audit events to list.' })
export class AuditEventFilter {
  @Field(() => [EntityType], { nullable: true, description: 'Only these entity types.' })
  entityTypes?: EntityType[] | null;

  @Field(() => ID, { nullable: true, description: 'Only events about this entity.' })
  @Clearable()
  @IsUUID('all')
  entityId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only events made with this API key.' })
  @Clearable()
  @IsUUID('all')
  actorKeyId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only this operation, e.g. `updateScope`.' })
  @Clearable()
  @IsText()
  @MaxLength(100)
  operation?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only events at or after this time.' })
  since?: Date | null;
}
