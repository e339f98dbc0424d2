import fc from 'fast-check';
import { batchPauseMs, migrationProgress } from '../../domain/plan-migration';

describe('a plan migration’s pace', () => {
  it.each`
    size  | perSecond | elapsedMs | pause
    ${20} | ${10}     | ${0}      | ${2000}
    ${20} | ${10}     | ${500}    | ${1500}
    ${20} | ${10}     | ${2000}   | ${0}
    ${20} | ${10}     | ${9000}   | ${0}
    ${3}  | ${10}     | ${100}    | ${200}
    ${1}  | ${3}      | ${0}      | ${334}
    ${0}  | ${10}     | ${0}      | ${0}
    ${20} | ${0}      | ${0}      | ${0}
  `(
    'waits $pause ms after $size moves that took $elapsedMs ms at $perSecond a second',
    ({ size, perSecond, elapsedMs, pause }) => {
      expect(batchPauseMs(size, perSecond, elapsedMs)).toBe(pause);
    },
  );

  it('never lets a run of batches go faster than the pace', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 10_000 })), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 100 }),
        (batches, perSecond) => {
          let ms = 0;
          let moves = 0;
          for (const [size, took] of batches) {
            ms += took + batchPauseMs(size, perSecond, took);
            moves += size;
          }
          expect(moves * 1000).toBeLessThanOrEqual(ms * perSecond);
        },
      ),
    );
  });
});

describe('a plan migration’s progress', () => {
  it.each`
    candidates | moved  | failed | percent
    ${0}       | ${0}   | ${0}   | ${100}
    ${3}       | ${0}   | ${0}   | ${0}
    ${3}       | ${1}   | ${0}   | ${33}
    ${3}       | ${2}   | ${1}   | ${100}
    ${1000}    | ${998} | ${1}   | ${99}
    ${2}       | ${2}   | ${1}   | ${100}
  `(
    'reads $percent % with $moved moved and $failed failed of $candidates',
    ({ candidates, moved, failed, percent }) => {
      expect(migrationProgress(candidates, moved, failed)).toEqual({ candidates, moved, failed, percent });
    },
  );
});
