import pino, { type Logger } from 'pino';

/** Structured JSON logs; anything that could carry a secret is redacted before it is written. */
export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["stripe-signature"]',
        // Provider keys, wherever a log call might carry one (the gateway's key read returns api_key).
        'apiKey',
        'api_key',
        '*.apiKey',
        '*.api_key',
        '*.*.apiKey',
        '*.*.api_key',
        'res.body',
        '*.secret',
        '*.password',
      ],
      censor: '[redacted]',
    },
  });
}
