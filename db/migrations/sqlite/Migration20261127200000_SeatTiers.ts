import { Migration } from '@mikro-orm/migrations';

/** Seat tiers: a plan's volume discounts on its per-seat price (none: every seat at the price). */
export class Migration20261127200000_SeatTiers extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`plans\` add column \`seat_tiers\` json null;`);
  }

}
