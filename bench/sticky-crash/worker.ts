import { NativeConnection, Worker } from '@temporalio/worker';

/** One worker process, to be SIGKILLed: `worker.ts <address> <namespace> <sticky timeout s>`. */
async function main(): Promise<void> {
  const [address, namespace, stickySeconds] = process.argv.slice(2);
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue: 'sticky-crash',
    workflowsPath: require.resolve('./workflow'),
    stickyQueueScheduleToStartTimeout: Number(stickySeconds) * 1000,
  });
  process.stdout.write('ready\n');
  await worker.run();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
