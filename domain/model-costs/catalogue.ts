import catalogue from './catalogue.json';
import { catalogueRates, type ModelRate } from './costs';

/** The repository's catalogue, checked once: a malformed row fails the engine's start, not a report. */
export const CATALOGUE: readonly ModelRate[] = catalogueRates(catalogue);

/** The currency the catalogue's costs are in. */
export const COST_CURRENCY: string = catalogue.currency;
