/** The plan catalog the engine ships with (seeded by migration; admins change it through the plans API). */
export const SERVICES = {
  'ops-center': 'Ops Center dashboard',
  chat: 'Open-WebUI chat',
  api: 'Inference API',
  embeddings: 'Embeddings API',
  tts: 'Text to speech',
  stt: 'Speech to text',
  byok: 'Bring your own provider keys',
  'priority-support': 'Priority support',
} as const;
export type ServiceCode = keyof typeof SERVICES;

export interface CatalogPlan {
  code: string;
  name: string;
  displayName: string;
  description: string;
  priceMonthlyCents: number;
  priceYearlyCents: number | null;
  trialDays: number;
  services: ServiceCode[];
  features: string[];
  /** Usage events a period includes before overage is billed. */
  includedCredits: number;
  overagePer1kCents: number;
  /** Hard cap on API calls per UTC day; null for none. */
  dailyApiCalls: number | null;
  /** Whether a subscriber may pause it themselves. */
  pausable: boolean;
  sortOrder: number;
}

export const PLAN_CATALOG: readonly CatalogPlan[] = [
  {
    code: 'trial',
    name: 'trial',
    displayName: 'Trial',
    description: 'Seven days to try the platform for $1.00',
    priceMonthlyCents: 100,
    priceYearlyCents: null,
    trialDays: 7,
    services: ['ops-center', 'chat'],
    features: ['7-day trial period', 'Access to Open-WebUI', 'Basic AI models', '100 API calls/day'],
    includedCredits: 0,
    overagePer1kCents: 0,
    dailyApiCalls: 100,
    pausable: false,
    sortOrder: 0,
  },
  {
    code: 'starter',
    name: 'starter',
    displayName: 'Starter',
    description: 'For individuals getting started',
    priceMonthlyCents: 1900,
    priceYearlyCents: 19000,
    trialDays: 0,
    services: ['ops-center', 'chat', 'api'],
    features: ['Ops Center', 'Open-WebUI chat', 'Inference API', '1,000 API calls/day'],
    includedCredits: 100,
    overagePer1kCents: 300,
    dailyApiCalls: 1000,
    pausable: true,
    sortOrder: 1,
  },
  {
    code: 'professional',
    name: 'professional',
    displayName: 'Professional',
    description: 'For professionals and small teams',
    priceMonthlyCents: 4900,
    priceYearlyCents: 49000,
    trialDays: 0,
    services: ['ops-center', 'chat', 'api', 'embeddings', 'tts', 'stt', 'byok'],
    features: [
      'Everything in Starter',
      'Embeddings, TTS and STT',
      'Bring your own keys',
      '10,000 API calls/day',
    ],
    includedCredits: 500,
    overagePer1kCents: 200,
    dailyApiCalls: 10000,
    pausable: true,
    sortOrder: 2,
  },
  {
    code: 'enterprise',
    name: 'enterprise',
    displayName: 'Enterprise',
    description: 'For organisations that run on the platform',
    priceMonthlyCents: 9900,
    priceYearlyCents: 99000,
    trialDays: 0,
    services: ['ops-center', 'chat', 'api', 'embeddings', 'tts', 'stt', 'byok', 'priority-support'],
    features: ['Everything in Professional', 'Priority support', 'No daily cap'],
    includedCredits: 2000,
    overagePer1kCents: 150,
    dailyApiCalls: null,
    pausable: true,
    sortOrder: 3,
  },
];
