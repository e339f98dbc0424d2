import { Migration } from '@mikro-orm/migrations';

/**
 * Trials without a card: a plan says whether its trials start without one and what their end does then;
 * a subscription Stripe paused at such a trial's end waits for a card.
 */
export class Migration20261127050000_TrialWithoutCard extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`plans\` add column \`trial_without_card\` text null;`);
    this.addSql(`alter table \`subscriptions\` add column \`awaiting_card\` integer not null default false;`);
  }

}
