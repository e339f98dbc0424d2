import { Migration } from '@mikro-orm/migrations';

/**
 * rate_limit_buckets: each caller's token bucket per class of request (domain/rate-limit.ts), kept in the
 * database so that every API process takes from the same bucket. Rows idle for a day are pruned by
 * updated_at_ms.
 */
export class Migration20261123190000_RateLimitBuckets extends Migration {
  override async up(): Promise<void> {
    this.addSql('create table "rate_limit_buckets" ("bucket_key" varchar(100) not null, "tokens" double precision not null, "updated_at_ms" double precision not null, "taken" boolean not null, constraint "rate_limit_buckets_pkey" primary key ("bucket_key"));');
    this.addSql('create index "rate_limit_buckets_updated_at_ms_index" on "rate_limit_buckets" ("updated_at_ms");');
  }
}
