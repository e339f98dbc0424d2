import type { EntityManager } from '@mikro-orm/core';

/**
 * One value per database, made on first use: every fork of an ORM shares its driver, so two test apps on
 * two databases in one process never share what this holds.
 */
export function perDatabase<T>(make: () => T): (em: EntityManager) => T {
  const values = new WeakMap<object, T>();
  return (em) => {
    const driver = em.getDriver();
    let value = values.get(driver);
    if (value === undefined) values.set(driver, (value = make()));
    return value;
  };
}
