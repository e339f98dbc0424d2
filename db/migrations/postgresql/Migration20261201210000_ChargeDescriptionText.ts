import { Migration } from '@mikro-orm/migrations';

/**
 * A charge's description is whatever its payment said (a PaymentIntent's up to 1,000 characters, a
 * charge's own up to 40,000): at varchar(255) PostgreSQL refused the longer ones, and such a charge was
 * never mirrored.
 */
export class Migration20261201210000_ChargeDescriptionText extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "charges" alter column "description" type text using ("description"::text);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "charges" alter column "description" type varchar(255) using (left("description", 255));`);
  }

}
