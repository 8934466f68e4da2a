import { Arg, Authorized, Ctx, Field, FieldResolver, InputType, Int, Mutation, ObjectType, Resolver, Root, registerEnumType } from 'type-graphql';
import { IsEnum, Length, Matches, MaxLength } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import type { Context } from '../context';
import { Permission } from '../auth/permissions';
import { Clearable, IsText, NAME_MAX, NOT_BLANK, TEXT_MAX } from '../common/validation';
import { Framework, FrameworkKind } from '../modules/framework/framework.entity';
import { FRAMEWORK_KEY } from '../modules/framework/framework.inputs';
import { Crosswalk, CrosswalkStatus } from '../modules/crosswalk/crosswalk.entity';
import { catalogIoService, MappingDocumentFormat, type FrameworkImportResult, type MappingImportResult } from './catalog-io.service';

registerEnumType(MappingDocumentFormat, {
  name: 'MappingDocumentFormat',
  description: 'Format of a mappings document.',
  valuesConfig: {
    CSV: { description: 'CSV with the columns `source,target,relationship,rationale,strength,notes` (see `importMappings`).' },
    CISO_ASSISTANT_YAML: { description: 'A CISO Assistant mapping library: `objects.requirement_mapping_set` or `objects.requirement_mapping_sets`.' },
  },
});

@ObjectType({ simpleResolvers: true, description: 'What a requirements import (OSCAL or CSV) did.' })
export class FrameworkImport {
  @Field(() => Framework, { description: 'The framework version imported into.' })
  framework!: Framework;

  @Field(() => Int, { description: 'Requirements (OSCAL groups and controls) or CSV data rows read.' })
  rowsRead!: number;

  @Field(() => Int, { description: 'Requirements created.' })
  requirementsCreated!: number;

  @Field(() => Int, { description: 'Existing requirements whose title, text or attributes changed (CSV only).' })
  requirementsUpdated!: number;

  @Field(() => Int, { description: 'Withdrawn controls among those created (OSCAL `status` prop `withdrawn`).' })
  withdrawn!: number;

  @Field(() => [String], { description: 'CSV columns the importer does not know and did not read.' })
  ignoredColumns!: string[];
}

@ObjectType({ simpleResolvers: true, description: 'One crosswalk an import wrote to.' })
export class ImportedCrosswalk {
  @Field(() => Crosswalk, { description: 'The crosswalk.' })
  crosswalk!: Crosswalk;

  @Field({ description: 'True when the import created it; false when it added to an existing one.' })
  created!: boolean;

  @Field(() => Int, { description: 'Mappings created in it.' })
  mappingsCreated!: number;
}

@ObjectType({ simpleResolvers: true, description: 'What a mappings import did.' })
export class MappingImport {
  @Field(() => [ImportedCrosswalk], { description: 'The crosswalks written, one per framework pair of the document.' })
  crosswalks!: ImportedCrosswalk[];

  @Field(() => Int, { description: 'Mapping rows read from the document.' })
  rowsRead!: number;

  @Field(() => Int, { description: 'Mappings created.' })
  mappingsCreated!: number;

  @Field(() => Int, { description: 'Rows that repeat a mapping of the document or of the crosswalk (same source and target), skipped.' })
  duplicatesSkipped!: number;

  @Field(() => [String], { description: 'CSV columns the importer does not know and did not read.' })
  ignoredColumns!: string[];
}

@InputType({
  description: `A mappings document to import (catalog:write), all or nothing.

CSV: a header line, then one mapping per line. Canonical columns: \`source\` (source requirement code), \`target\` (target requirement code), \`relationship\` (EQUAL, SUBSET_OF, SUPERSET_OF, INTERSECTS_WITH, NOT_RELATED, or the spellings equal, subset, superset, intersect, intersects with, not related…), \`rationale\` (SYNTACTIC, SEMANTIC, FUNCTIONAL, any case; may be empty), \`strength\` (0-10; may be empty), \`notes\`. When the header names no source or target column, the first two columns are the source and target codes (as in NIST OLIR files such as \`sp800_53r5_control,iso27001_2022_id,relationship\`). Also accepted: \`strength_of_relationship\`, \`annotation\`/\`comment\` for notes. Other columns are ignored and reported. Codes resolve case-insensitively and through aliases (OSCAL ids).

CISO_ASSISTANT_YAML: \`objects.requirement_mapping_set\` or \`objects.requirement_mapping_sets: [...]\`; requirement URNs such as \`urn:intuitem:risk:req_node:iso27001-2022:a.5.1\` resolve by what follows the framework segment, case-insensitively; frameworks come from \`source_framework_urn\`/\`target_framework_urn\` (last segment = framework key) unless the keys are given here.`,
})
export class ImportMappingsInput {
  @Field({ description: 'The document text.' })
  @IsText()
  document!: string;

  @Field(() => MappingDocumentFormat, { description: 'CSV or CISO_ASSISTANT_YAML.' })
  @IsEnum(MappingDocumentFormat)
  format!: MappingDocumentFormat;

  @Field(() => String, { nullable: true, description: 'Source framework key (newest version unless sourceFrameworkVersion). Required for CSV; for YAML it overrides the sets\' source_framework_urn.' })
  @Clearable()
  @IsText()
  @MaxLength(64)
  sourceFrameworkKey?: string | null;

  @Field(() => String, { nullable: true, description: 'Source framework version.' })
  @Clearable()
  @IsText()
  @MaxLength(64)
  sourceFrameworkVersion?: string | null;

  @Field(() => String, { nullable: true, description: 'Target framework key (newest version unless targetFrameworkVersion). Required for CSV; for YAML it overrides the sets\' target_framework_urn.' })
  @Clearable()
  @IsText()
  @MaxLength(64)
  targetFrameworkKey?: string | null;

  @Field(() => String, { nullable: true, description: 'Target framework version.' })
  @Clearable()
  @IsText()
  @MaxLength(64)
  targetFrameworkVersion?: string | null;

  @Field({ description: 'Crosswalk to create, or to add to when it exists and is not shipped. A YAML library whose sets name several framework pairs fills `<key>`, `<key>-2`, … in the order the pairs first appear.' })
  @IsText()
  @Matches(FRAMEWORK_KEY, { message: 'must be 2 to 64 of a-z, 0-9, ., -, _ starting with a letter or digit' })
  crosswalkKey!: string;

  @Field(() => String, { nullable: true, description: 'Name of a new crosswalk; default the set\'s or library\'s name, else "source → target".' })
  @Clearable()
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  name?: string | null;

  @Field({ description: 'Provenance of a new crosswalk: who published the mappings, where, which revision.' })
  @IsText()
  @Length(1, TEXT_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  provenance!: string;

  @Field(() => CrosswalkStatus, { defaultValue: CrosswalkStatus.DRAFT, description: 'Status of a new crosswalk (only APPROVED crosswalks count for coverage).' })
  @IsEnum(CrosswalkStatus)
  status: CrosswalkStatus = CrosswalkStatus.DRAFT;
}

@Resolver()
export class CatalogImportResolver {
  @Authorized(Permission.CATALOG_WRITE)
  @Mutation(() => FrameworkImport, {
    description: `Imports an OSCAL 1.0 or 1.1 catalog (JSON) as a new framework version (version = \`metadata.version\`; an existing key + version is BAD_USER_INPUT), all or nothing. Groups become GROUP requirements (not assessable); controls and enhancements CONTROL requirements (assessable unless withdrawn) under their group or parent control. Code = the control's \`label\` prop (e.g. \`AC-2(12)\`; the id upper-cased without one); the OSCAL id (\`ac-2.12\`) and other labels become aliases; title = title; text = the statement as plain text with parameters as \`[Assignment: …]\`/\`[Selection: …]\`; withdrawn controls (\`status\` prop \`withdrawn\`) are kept and flagged. Faults are BAD_USER_INPUT naming \`extensions.path\` (and \`line\` for malformed JSON).`,
  })
  importOscalCatalog(
    @Ctx() ctx: Context,
    @Arg('document', { description: 'The OSCAL catalog, JSON text.' }) document: string,
    @Arg('frameworkKey', { description: 'Key of the framework, e.g. `nist-sp800-53-r5`; a shipped key is refused.' }) frameworkKey: string,
    @Arg('name', () => String, { nullable: true, description: 'Display name; default the catalog title.' }) name?: string,
    @Arg('kind', () => FrameworkKind, { nullable: true, description: 'Kind; default the kind an isms-graph export records, else CONTROL_CATALOG.' }) kind?: FrameworkKind,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key.' }) idempotencyKey?: string,
  ): Promise<FrameworkImportResult> {
    return catalogIoService.importOscalCatalog(ctx, { document, frameworkKey, name, kind, idempotencyKey });
  }

  @Authorized(Permission.CATALOG_WRITE)
  @Mutation(() => FrameworkImport, {
    description: `Imports requirements from CSV into a stored framework version, all or nothing. Header line first (line 1); columns: \`code\` (required), \`title\`, \`kind\` (RequirementKind, default CONTROL), \`parent\` (code of a requirement in the file or the framework), \`assessable\` (true/false; default true for CONTROL, SUBCATEGORY and RISK), \`text\`, and the ISO/IEC 27002 attribute columns \`control_type\`, \`security_properties\`, \`cybersecurity_concepts\`, \`operational_capabilities\`, \`security_domains\` with values separated by \`;\` or \`|\` (or as \`#Hashtags\`), checked against their enums; an empty attribute cell clears it. Quoted fields may hold commas, quotes (\`""\`) and line breaks; LF or CRLF. On a custom framework new codes are added and existing codes get their title, text and attributes updated (changing kind, parent or assessable needs updateRequirement). On a shipped framework only the attribute columns may be set (import the ISO/IEC 27002 attributes from your licensed copy this way). Faults are BAD_USER_INPUT naming \`extensions.line\`.`,
  })
  importRequirementsCsv(
    @Ctx() ctx: Context,
    @Arg('frameworkKey', { description: 'Framework key.' }) frameworkKey: string,
    @Arg('document', { description: 'The CSV text.' }) document: string,
    @Arg('frameworkVersion', () => String, { nullable: true, description: 'Framework version; default the newest.' }) frameworkVersion?: string,
  ): Promise<FrameworkImportResult> {
    return catalogIoService.importRequirementsCsv(ctx, { frameworkKey, document, frameworkVersion });
  }

  @Authorized(Permission.CATALOG_WRITE)
  @Mutation(() => MappingImport, { description: 'Imports mappings from CSV or a CISO Assistant YAML library into a crosswalk (method IMPORTED), all or nothing; see ImportMappingsInput for the formats. Faults are BAD_USER_INPUT naming `extensions.line` (CSV) or `extensions.path` and `line` (YAML).' })
  importMappings(
    @Ctx() ctx: Context,
    @Arg('input', () => ImportMappingsInput, { description: 'The document and where its mappings go.' }) input: ImportMappingsInput,
  ): Promise<MappingImportResult> {
    return catalogIoService.importMappings(ctx, input);
  }
}

@Resolver(() => Framework)
export class FrameworkExportResolver {
  @Authorized(Permission.ISMS_READ)
  @FieldResolver(() => GraphQLJSONObject, {
    description: 'The framework version as an OSCAL 1.1 catalog: groups and controls nested in catalog order, `label` prop = code, withdrawn as `status` prop, text as the statement; kind, assessable, aliases and attributes in props of namespace `urn:isms-graph:ns:oscal`, so importOscalCatalog of it gives the same requirements.',
  })
  oscal(@Root() framework: Framework, @Ctx() ctx: Context): Promise<Record<string, unknown>> {
    return catalogIoService.oscal(ctx, framework);
  }
}

@Resolver(() => Crosswalk)
export class CrosswalkExportResolver {
  @Authorized(Permission.ISMS_READ)
  @FieldResolver(() => String, { description: 'The mappings as CSV (`source,target,relationship,rationale,strength,notes`, CRLF line ends), importable with importMappings(format: CSV).' })
  csv(@Root() crosswalk: Crosswalk, @Ctx() ctx: Context): Promise<string> {
    return catalogIoService.crosswalkCsv(ctx, crosswalk);
  }

  @Authorized(Permission.ISMS_READ)
  @FieldResolver(() => String, { description: 'The mappings as a single-set CISO Assistant library (YAML; nodes `urn:intuitem:risk:req_node:<framework key>:<code lower-case>`), importable with importMappings(format: CISO_ASSISTANT_YAML).' })
  cisoAssistantYaml(@Root() crosswalk: Crosswalk, @Ctx() ctx: Context): Promise<string> {
    return catalogIoService.crosswalkCisoAssistantYaml(ctx, crosswalk);
  }
}
