import { Migration } from '@mikro-orm/migrations';

/** Seat credits: units each seat of a plan priced per seat draws before the account's pool (none: 0). */
export class Migration20261127230000_SeatCredits extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`plans\` add column \`seat_credits\` integer not null default 0;`);
  }

}
