import { Migration } from '@mikro-orm/migrations';
import { PLAN_CATALOG } from '../../../domain/plan-catalog';

export class Migration20261122214642_PlanPausable extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`plans\` add column \`pausable\` integer not null default false;`);
    // The shipped catalog's paid plans may be paused by their subscribers; the trial may not.
    const pausable = PLAN_CATALOG.filter((p) => p.pausable).map((p) => p.code);
    this.addSql(this.getKnex()('plans').update({ pausable: true }).whereIn('code', pausable).toQuery());
  }

}
