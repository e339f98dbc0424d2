import { Migration } from '@mikro-orm/migrations';

/**
 * Outgoing webhooks (issue 30): the endpoints (secret encrypted), one delivery per event and endpoint,
 * and the log of every attempt.
 */
export class Migration20261124221349_WebhookEndpoints extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`webhook_attempts\` (\`id\` text not null, \`delivery_id\` text not null, \`endpoint_id\` text not null, \`at\` datetime not null, \`manual\` integer not null default false, \`ok\` integer not null, \`status_code\` integer null, \`latency_ms\` integer not null, \`error\` text null, \`response_excerpt\` text null, primary key (\`id\`));`);
    this.addSql(`create index \`webhook_attempts_delivery_id_at_index\` on \`webhook_attempts\` (\`delivery_id\`, \`at\`);`);

    this.addSql(`create table \`webhook_deliveries\` (\`id\` text not null, \`event_id\` text not null, \`endpoint_id\` text not null, \`queue_key\` text not null, \`event_type\` text not null, \`event_created_at\` datetime not null, \`status\` text not null default 'pending', \`attempts\` integer not null default 0, \`first_attempt_at\` datetime null, \`last_attempt_at\` datetime null, \`next_attempt_at\` datetime null, \`delivered_at\` datetime null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`webhook_deliveries_endpoint_id_queue_key_status_event_created_at_index\` on \`webhook_deliveries\` (\`endpoint_id\`, \`queue_key\`, \`status\`, \`event_created_at\`);`);
    this.addSql(`create index \`webhook_deliveries_status_next_attempt_at_index\` on \`webhook_deliveries\` (\`status\`, \`next_attempt_at\`);`);
    this.addSql(`create index \`webhook_deliveries_endpoint_id_created_at_index\` on \`webhook_deliveries\` (\`endpoint_id\`, \`created_at\`);`);
    this.addSql(`create unique index \`webhook_deliveries_event_id_endpoint_id_unique\` on \`webhook_deliveries\` (\`event_id\`, \`endpoint_id\`);`);

    this.addSql(`create table \`webhook_endpoints\` (\`id\` text not null, \`url\` text not null, \`description\` text null, \`event_types\` json not null, \`enabled\` integer not null default true, \`secret_ciphertext\` text not null, \`secret_nonce\` text not null, \`secret_key_version\` integer not null, \`failing_since\` datetime null, \`disabled_at\` datetime null, \`disabled_reason\` text null, \`disabled_mail_sent_at\` datetime null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
  }

}
