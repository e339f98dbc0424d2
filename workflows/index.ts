export { customerOnboarding } from './customer-onboarding';
export { trialExpiry } from './trial-expiry';
