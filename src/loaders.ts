import type { DataSource } from 'typeorm';
import { ownerLoaders } from './modules/owner/owner.loaders';
import { scopeLoaders } from './modules/scope/scope.loaders';
import { controlLoaders } from './modules/control/control.loaders';
import { riskLoaders } from './modules/risk/risk.loaders';
import { treatmentTaskLoaders } from './modules/treatment/treatment-task.loaders';
import { exceptionLoaders } from './modules/exception/exception.loaders';
import { frameworkLoaders } from './modules/framework/framework.loaders';
import { crosswalkLoaders } from './modules/crosswalk/crosswalk.loaders';
import { evidenceLoaders } from './modules/evidence/evidence.loaders';
import { soaLoaders } from './modules/soa/soa.loaders';
import { reminderLoaders } from './modules/reminder/reminder.loaders';
import { assetLoaders } from './modules/asset/asset.loaders';
import { webhookLoaders } from './modules/webhook/webhook.loaders';
import { apiKeyLoaders } from './auth/api-key.loaders';

/** One set of DataLoaders per request (or subscription event), so batches never cross callers. */
export function createLoaders(db: DataSource) {
  return {
    ...ownerLoaders(db),
    ...scopeLoaders(db),
    ...controlLoaders(db),
    ...riskLoaders(db),
    ...treatmentTaskLoaders(db),
    ...exceptionLoaders(db),
    ...frameworkLoaders(db),
    ...crosswalkLoaders(db),
    ...evidenceLoaders(db),
    ...soaLoaders(db),
    ...reminderLoaders(db),
    ...assetLoaders(db),
    ...webhookLoaders(db),
    ...apiKeyLoaders(db),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
