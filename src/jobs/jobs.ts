import type { Job } from './scheduler';

/** The jobs every instance runs; each subject module contributes its own (see scheduler.ts). */
export const jobs: Job[] = [];
