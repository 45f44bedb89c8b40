/** How many frames a timed round takes: bounded by the round's time, so that a slow page is measured, not timed out. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { framesPerRound, MEASURE_DEFAULTS, MIN_ROUND_FRAMES } from '../../src/viewer/measure.js';

test('a round times as many frames as fit its milliseconds, within [MIN_ROUND_FRAMES, frames]', () => {
  const { frames, roundMs } = MEASURE_DEFAULTS;
  // A lightmapped scene on SwiftShader (tens of ms a frame): every frame asked for.
  assert.is(framesPerRound([12, 11, 13], frames, roundMs), frames);
  // REALTIME's 200k splats of the foliage field, 3.8 s a frame: 60 frames would take almost 4 minutes a round.
  assert.is(framesPerRound([3800, 3900, 3700], frames, roundMs), 5);
  // Slower still: never fewer than MIN_ROUND_FRAMES, nor more than asked.
  assert.is(framesPerRound([30_000], frames, roundMs), MIN_ROUND_FRAMES);
  assert.is(framesPerRound([30_000], 2, roundMs), 2);
  // A warm-up that measured nothing (0 ms) does not divide by zero.
  assert.is(framesPerRound([0, 0, 0], frames, roundMs), frames);
});

test.run();
