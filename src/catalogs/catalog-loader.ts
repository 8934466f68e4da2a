import type { DataSource, EntityManager } from 'typeorm';
import { Framework } from '../modules/framework/framework.entity';
import { Crosswalk } from '../modules/crosswalk/crosswalk.entity';
import type { CrosswalkFile, FrameworkFile } from './catalog-files';
import { insertCrosswalk, insertFramework } from './catalog-writer';
import { compareVersions } from '../modules/framework/framework.rules';
import iso27001 from './data/frameworks/iso27001-2022.json';
import iso27002 from './data/frameworks/iso27002-2022.json';
import csf from './data/frameworks/nist-csf-2.0.json';
import nhi from './data/frameworks/owasp-nhi-top10-2025.json';
import iso27002ToIso27001 from './data/crosswalks/iso27002-2022-to-iso27001-2022.json';
import csfToIso27001 from './data/crosswalks/nist-csf-2.0-to-iso27001-2022.json';
import nhiToIso27001 from './data/crosswalks/owasp-nhi-top10-2025-to-iso27001-2022.json';
import nhiToCsf from './data/crosswalks/owasp-nhi-top10-2025-to-nist-csf-2.0.json';

/** The catalogs and crosswalks shipped with the product (src/catalogs/data, see its README). */
export const SHIPPED_FRAMEWORKS = [iso27001, iso27002, csf, nhi] as FrameworkFile[];
export const SHIPPED_CROSSWALKS = [iso27002ToIso27001, csfToIso27001, nhiToIso27001, nhiToCsf] as CrosswalkFile[];

/**
 * The shipped version of a framework key (crosswalk files name keys; the shipped version is meant,
 * the newest one when a newer version is shipped beside an old one).
 */
function shippedVersion(key: string): string {
  const versions = SHIPPED_FRAMEWORKS.filter((f) => f.key === key).map((f) => f.version);
  if (!versions.length) throw new Error(`Shipped crosswalk names the unknown framework ${key}`);
  return versions.reduce((newest, v) => (compareVersions(v, newest) > 0 ? v : newest));
}

/**
 * Adds each shipped framework version and crosswalk that is not stored yet. Runs under the
 * migration lock; loading twice changes nothing, and a newer catalog version is added beside the
 * old one (existing links keep pointing at the old requirements).
 */
export async function loadShippedCatalogs(dataSource: DataSource): Promise<string[]> {
  return dataSource.transaction(async (tx: EntityManager) => {
    const added: string[] = [];
    for (const file of SHIPPED_FRAMEWORKS) {
      if (await tx.findOneBy(Framework, { key: file.key, version: file.version })) continue;
      await insertFramework(tx, file, { builtIn: true });
      added.push(`${file.key}@${file.version}`);
    }
    for (const file of SHIPPED_CROSSWALKS) {
      if (await tx.findOneBy(Crosswalk, { key: file.key })) continue;
      const source = await tx.findOneByOrFail(Framework, { key: file.sourceFramework, version: shippedVersion(file.sourceFramework) });
      const target = await tx.findOneByOrFail(Framework, { key: file.targetFramework, version: shippedVersion(file.targetFramework) });
      await insertCrosswalk(tx, file, { sourceFrameworkId: source.id, targetFrameworkId: target.id }, { builtIn: true });
      added.push(file.key);
    }
    return added;
  });
}
