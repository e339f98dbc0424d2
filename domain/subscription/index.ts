/** The subscription's lifecycle rules; the subscription workflow applies them. */
export * from './access-attributes';
export * from './deadlines';
export * from './dunning-outcome';
export * from './facts';
export * from './requests';
export * from './status-after-snapshot';
