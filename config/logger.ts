import pino, { type Logger } from 'pino';

/** Structured JSON logs; anything that could carry a secret is redacted before it is written. */
export function createLogger(
  level: string,
  name: string,
  /** Fields added to every line from where it is written (the worker adds the running activity's ids). */
  context?: () => Record<string, unknown>,
): Logger {
  return pino({
    name,
    level,
    ...(context ? { mixin: context } : {}),
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
