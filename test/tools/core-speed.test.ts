import { medianJobMs, watchCoreSpeed } from '../../bench/core-speed';

/** bench:scale's reading of the cores' speed (bench/core-speed.ts). */
describe("the cores' speed beside a benchmark's steps", () => {
  it.each([
    ['no sample in the window', [], 0, 100, undefined],
    ['one sample', [[50, 30]], 0, 100, 30],
    [
      'the middle of three, whatever their order',
      [
        [10, 90],
        [20, 30],
        [30, 40],
      ],
      0,
      100,
      40,
    ],
    [
      'the lower middle of an even count',
      [
        [10, 40],
        [20, 30],
        [30, 90],
        [40, 50],
      ],
      0,
      100,
      40,
    ],
    [
      'only those inside the window, its ends included',
      [
        [9, 1],
        [10, 20],
        [20, 25],
        [30, 27],
        [31, 99],
      ],
      10,
      30,
      25,
    ],
  ] as [string, [number, number][], number, number, number | undefined][])(
    'a step reads the median of its samples: %s',
    (_name, samples, from, to, expected) => {
      expect(
        medianJobMs(
          samples.map(([at, jobMs]) => ({ at, jobMs })),
          from,
          to,
        ),
      ).toBe(expected);
    },
  );

  it('samples a fixed job in a process of its own, and stops sampling when stopped', async () => {
    const t0 = Date.now();
    const speed = await watchCoreSpeed(20);
    await new Promise((r) => setTimeout(r, 1500));
    const during = speed.jobMsBetween(t0, Date.now());
    speed.stop();
    // Some milliseconds of one core: the job is the same each time, and no machine does it in none.
    expect(during).toBeGreaterThan(0);
    expect(during).toBeLessThan(5_000);
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    expect(speed.jobMsBetween(stoppedAt + 1, Date.now())).toBeUndefined();
  });
});
