import { Migration } from '@mikro-orm/migrations';

/** Seats: a plan's seat range (none: not priced per seat), and the seats each subscription holds. */
export class Migration20261127100000_Seats extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`plans\` add column \`seat_min\` integer null;`);
    this.addSql(`alter table \`plans\` add column \`seat_max\` integer null;`);
    this.addSql(`alter table \`subscriptions\` add column \`seats\` integer not null default 1;`);
  }

}
