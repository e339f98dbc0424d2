import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import {
  dbActivityOptions,
  externalActivityOptions,
  outsideActivityOptions,
  stripeReadLocalOptions,
} from '../activity-options';

export const stripe = proxyActivities<Activities>(externalActivityOptions);
export const stripeRead = proxyLocalActivities<Activities>(stripeReadLocalOptions);
export const db = proxyActivities<Activities>(dbActivityOptions);
export const outside = proxyActivities<Activities>(outsideActivityOptions);
