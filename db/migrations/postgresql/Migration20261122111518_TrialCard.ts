import { Migration } from '@mikro-orm/migrations';

export class Migration20261122111518_TrialCard extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "payment_methods" add column "fingerprint" varchar(64) null;`);
    this.addSql(`create index "payment_methods_fingerprint_index" on "payment_methods" ("fingerprint");`);

    this.addSql(`alter table "subscriptions" add column "trial_card_fingerprint" varchar(64) null;`);
    this.addSql(`alter table "subscriptions" add constraint "subscriptions_trial_card_fingerprint_unique" unique ("trial_card_fingerprint");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "subscriptions" drop constraint "subscriptions_trial_card_fingerprint_unique";`);
    this.addSql(`alter table "subscriptions" drop column "trial_card_fingerprint";`);

    this.addSql(`drop index "payment_methods_fingerprint_index";`);
    this.addSql(`alter table "payment_methods" drop column "fingerprint";`);
  }

}
