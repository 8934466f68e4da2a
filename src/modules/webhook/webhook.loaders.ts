import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { loadByIds } from '../../db/load-by-ids';
import { OutboxEvent } from './outbox-event.entity';
import { WebhookEndpoint } from './webhook.entity';

export function webhookLoaders(db: DataSource) {
  return {
    webhookEndpoint: new DataLoader<string, WebhookEndpoint | null>((ids) => loadByIds(db, WebhookEndpoint, ids)),
    webhookEvent: new DataLoader<string, OutboxEvent | null>((ids) => loadByIds(db, OutboxEvent, ids)),
  };
}
