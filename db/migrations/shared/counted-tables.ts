/** The tables whose row count triggers keep in table_counts (migration TableCounts, both dialects). */
export const COUNTED_TABLES = ['customers', 'subscriptions', 'charges'] as const;
