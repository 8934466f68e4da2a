import { Field, Int, ObjectType } from 'type-graphql';
import { Requirement } from '../framework/requirement.entity';
import { Mapping, Relationship } from './crosswalk.entity';
import { ChainStrength, MappingDirection } from './crosswalk.inputs';

@ObjectType({ simpleResolvers: true, description: 'A mapping seen from one requirement: the other side and the relationship read from this side.' })
export class RequirementMapping {
  @Field(() => Mapping, { description: 'The mapping as stored (source → target).' })
  mapping!: Mapping;

  @Field(() => MappingDirection, { description: 'OUTGOING when this requirement is the source, INCOMING when it is the target.' })
  direction!: MappingDirection;

  @Field(() => Relationship, { description: 'Relationship read from this requirement to the other (SUBSET_OF and SUPERSET_OF swap on INCOMING).' })
  relationship!: Relationship;

  @Field(() => Requirement, { description: 'The requirement on the other side.' })
  other!: Requirement;
}

@ObjectType({ simpleResolvers: true, description: 'A requirement reached through a chain of mappings.' })
export class RelatedRequirement {
  @Field(() => Requirement, { description: 'The requirement reached.' })
  requirement!: Requirement;

  @Field(() => ChainStrength, { description: 'FULL or PARTIAL.' })
  chain!: ChainStrength;

  @Field(() => Int, { description: 'Number of mappings walked (1-3).' })
  hops!: number;

  @Field(() => [Mapping], { description: 'The mappings walked, in order from the starting requirement.' })
  path!: Mapping[];

  @Field(() => [Relationship], { description: 'Relationship of each hop, read in the walking direction.' })
  relationships!: Relationship[];
}
