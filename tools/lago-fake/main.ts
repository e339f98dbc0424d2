/** Runs the Lago fake on its own: `tsx tools/lago-fake/main.ts`, then point LAGO_API_URL/LAGO_API_KEY at it. */
import { startLagoFake } from '.';

async function main(): Promise<void> {
  const fake = await startLagoFake({ apiKey: process.env.LAGO_API_KEY || undefined });
  console.log(`Lago fake on ${fake.url} (LAGO_API_URL=${fake.url} LAGO_API_KEY=${fake.apiKey})`);
  const stop = () => void fake.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
