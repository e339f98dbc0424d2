import { Migration } from '@mikro-orm/migrations';

/** Seats: a plan's seat range (none: not priced per seat), and the seats each subscription holds. */
export class Migration20261127100000_Seats extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "plans" add column "seat_min" int null, add column "seat_max" int null;`);
    this.addSql(`alter table "subscriptions" add column "seats" int not null default 1;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "plans" drop column "seat_min", drop column "seat_max";`);
    this.addSql(`alter table "subscriptions" drop column "seats";`);
  }

}
