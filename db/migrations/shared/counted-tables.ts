/** The tables whose row count triggers keep in table_counts (migration TableCounts, both dialects). */
export const COUNTED_TABLES = ['customers', 'subscriptions', 'charges'] as const;

/** PostgreSQL's rows per counted table: a writer moves the one of its connection (see TableCounts). */
export const COUNT_SHARDS = 16;
