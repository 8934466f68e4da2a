import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { isUuid } from '../../common/validation';
import { loadByIds } from '../../db/load-by-ids';
import { Reminder } from './reminder.entity';
import { Review } from './review.entity';

export function reminderLoaders(db: DataSource) {
  return {
    reminder: new DataLoader<string, Reminder | null>((ids) => loadByIds(db, Reminder, ids)),
    /** control.reviews and risk.reviews: the reviews of each subject, newest first, in one statement. */
    subjectReviews: new DataLoader<string, Review[]>(async (subjectIds) => {
      const valid = [...new Set(subjectIds.filter(isUuid).map((id) => id.toLowerCase()))];
      const rows = valid.length
        ? await db.getRepository(Review).createQueryBuilder('v')
          .where('v.subjectId = ANY(:ids)', { ids: valid })
          .orderBy('v.reviewedAt', 'DESC').addOrderBy('v.id', 'DESC').getMany()
        : [];
      const bySubject = new Map<string, Review[]>();
      for (const review of rows) {
        const list = bySubject.get(review.subjectId);
        if (list) list.push(review);
        else bySubject.set(review.subjectId, [review]);
      }
      return subjectIds.map((id) => bySubject.get(id.toLowerCase()) ?? []);
    }),
  };
}
