import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import {
  dbActivityOptions,
  dbLocalOptions,
  stripeCallOptions,
  accessSyncOptions,
  accessSyncLocalOptions,
  stripeReadLocalOptions,
  lagoSyncLocalOptions,
  accessSyncLocalOnceOptions,
  lagoSyncLocalOnceOptions,
} from '../activity-options';

export const stripe = proxyActivities<Activities>(stripeCallOptions);
export const stripeRead = proxyLocalActivities<Activities>(stripeReadLocalOptions);
export const db = proxyActivities<Activities>(dbActivityOptions);
export const dbLocal = proxyLocalActivities<Activities>(dbLocalOptions);
export const accessSync = proxyActivities<Activities>(accessSyncOptions);
export const accessSyncLocal = proxyLocalActivities<Activities>(accessSyncLocalOptions);
export const lagoSyncLocal = proxyLocalActivities<Activities>(lagoSyncLocalOptions);
export const accessSyncLocalOnce = proxyLocalActivities<Activities>(accessSyncLocalOnceOptions);
export const lagoSyncLocalOnce = proxyLocalActivities<Activities>(lagoSyncLocalOnceOptions);
