import type { FrameworkKind } from '../modules/framework/framework.entity';
import type { RequirementKind } from '../modules/framework/requirement.entity';
import type { CrosswalkMethod, CrosswalkStatus, MappingRationale, Relationship } from '../modules/crosswalk/crosswalk.entity';

/** Shape of a framework file under src/catalogs/data/frameworks (see data/README.md). */
export interface FrameworkFile {
  key: string;
  version: string;
  name: string;
  kind: `${FrameworkKind}`;
  publisher?: string | null;
  licence?: string | null;
  sourceUrl?: string | null;
  attribution?: string | null;
  requirements: Array<{
    code: string;
    title: string;
    text?: string | null;
    kind: `${RequirementKind}`;
    assessable: boolean;
    parent: string | null;
    examples?: string[];
    url?: string;
    aliases?: string[];
    withdrawn?: boolean;
  }>;
}

/** Shape of a crosswalk file under src/catalogs/data/crosswalks. */
export interface CrosswalkFile {
  key: string;
  name: string;
  sourceFramework: string;
  targetFramework: string;
  source: string;
  method: `${CrosswalkMethod}`;
  status: `${CrosswalkStatus}`;
  mappings: Array<{
    source: string;
    target: string;
    relationship: `${Relationship}`;
    rationale?: `${MappingRationale}` | null;
    strength?: number | null;
    notes?: string | null;
  }>;
}
