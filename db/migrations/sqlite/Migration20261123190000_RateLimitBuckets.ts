import { Migration } from '@mikro-orm/migrations';

/**
 * rate_limit_buckets: each caller's token bucket per class of request (domain/rate-limit.ts), kept in the
 * database so that every API process takes from the same bucket. Rows idle for a day are pruned by
 * updated_at_ms.
 */
export class Migration20261123190000_RateLimitBuckets extends Migration {
  override async up(): Promise<void> {
    this.addSql('create table `rate_limit_buckets` (`bucket_key` text not null, `tokens` double not null, `updated_at_ms` double not null, `taken` integer not null, primary key (`bucket_key`));');
    this.addSql('create index `rate_limit_buckets_updated_at_ms_index` on `rate_limit_buckets` (`updated_at_ms`);');
  }
}
