import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decide, unreproducedClaims, weightedMedian } from '../../src/trust/consensus.js';
import {
  isTrusted,
  lowerBound,
  updateReputation,
  voteWeight,
  DEFAULT_REPUTATION,
  type Reputation,
} from '../../src/trust/reputation.js';
import { canStop, deriveSeed, sampleSize, sampleSpecs } from '../../src/trust/sampling.js';
import { seatDraw } from '../../src/trust/scheduler.js';
import { betaCdf, betaQuantile, meanInterval, tQuantile } from '../../src/trust/stats.js';
import type { SampleMetrics, Vote } from '../../src/trust/types.js';

test('sample size follows the design formula', () => {
  assert.is(sampleSize(0, 0.9), 10);
  assert.is(sampleSize(1, 0.9), 30);
  assert.is(sampleSize(0.5, 0.95), 30); // 10 · 2 · 1.5
  assert.is(sampleSize(0.25, 0.99), 29); // ceil(10 · 1.5 · 1.9 = 28.5)
  assert.throws(() => sampleSize(2, 0.95), RangeError);
  assert.throws(() => sampleSize(0.5, 0.5), RangeError);
});

test('the seed depends on both blobs and the engine nonce, and fixes the views', () => {
  const a = 'aa'.repeat(32),
    b = 'bb'.repeat(32),
    n1 = '01'.repeat(16),
    n2 = '02'.repeat(16);
  const s = deriveSeed(a, b, n1);
  assert.is(s, deriveSeed(a, b, n1));
  assert.is.not(s, deriveSeed(a, b, n2));
  assert.is.not(s, deriveSeed(b, a, n1));
  assert.equal(sampleSpecs(s, 12), sampleSpecs(s, 12));
  assert.not.equal(sampleSpecs(s, 12), sampleSpecs(deriveSeed(a, b, n2), 12));
  for (const v of sampleSpecs(s, 50)) assert.ok(v.crop.x >= 0 && v.crop.x + v.crop.w <= 1 && v.crop.y + v.crop.h <= 1);
});

test('seats among equally loaded nodes are drawn from the job seed: reproducible, and different per job', () => {
  const keys = Array.from({ length: 12 }, (_, i) => `${i}`.padStart(64, 'a'));
  const order = (seed: string) => [...keys].sort((a, b) => (seatDraw(seed, a) < seatDraw(seed, b) ? -1 : 1));
  const s1 = deriveSeed('aa'.repeat(32), 'bb'.repeat(32), '01'.repeat(16));
  const s2 = deriveSeed('aa'.repeat(32), 'bb'.repeat(32), '02'.repeat(16));
  assert.equal(order(s1), order(s1));
  assert.not.equal(order(s1).slice(0, 3), order(s2).slice(0, 3));
  assert.not.equal(order(s1), keys, 'not the keys in their own order');
});

test('t quantiles and the Beta CDF match tabulated values', () => {
  assert.ok(Math.abs(tQuantile(0.975, 10) - 2.228) < 5e-3, `${tQuantile(0.975, 10)}`);
  assert.ok(Math.abs(tQuantile(0.975, 1e9) - 1.95996) < 1e-4);
  assert.ok(Math.abs(betaCdf(0.5, 2, 2) - 0.5) < 1e-9);
  assert.ok(Math.abs(betaCdf(0.3, 1, 1) - 0.3) < 1e-9);
  assert.ok(Math.abs(betaQuantile(0.05, 12, 1) - 0.05 ** (1 / 12)) < 1e-9); // Beta(a,1) CDF = x^a
});

const s = (index: number, psnr: number, ssim = 0.95, flip = 0.05): SampleMetrics => ({ index, psnr, ssim, flip });

test('sequential stop: clear results stop early, borderline ones do not', () => {
  const clear = Array.from({ length: 5 }, (_, i) => s(i, 40 + (i % 2) * 0.1));
  assert.ok(canStop(clear, { psnr: 30 }, 0.95));
  assert.not.ok(canStop(clear.slice(0, 4), { psnr: 30 }, 0.95), 'fewer than the minimum');
  const borderline = Array.from({ length: 8 }, (_, i) => s(i, 30 + (i % 2 ? 2 : -2)));
  assert.not.ok(canStop(borderline, { psnr: 30 }, 0.95));
  const ci = meanInterval(
    borderline.map((x) => x.psnr),
    0.95,
  );
  assert.ok(ci.lo < 30 && ci.hi > 30);
});

function vote(node: string, psnr: number, pass: boolean, n = 6, ssim = 0.95): Vote {
  const samples = Array.from({ length: n }, (_, i) => s(i, psnr + (i % 3) * 0.05, ssim));
  const m = (k: 'psnr' | 'ssim' | 'flip') => samples.reduce((a, x) => a + x[k], 0) / n;
  return {
    jobId: 'j',
    nodeKey: node,
    samples,
    means: { psnr: m('psnr'), ssim: m('ssim'), flip: m('flip') },
    pass,
    sig: '',
  };
}
const eq = (keys: string[]) => new Map(keys.map((k) => [k, 1]));

test('weighted median', () => {
  assert.is(weightedMedian([1, 2, 3], [1, 1, 1]), 2);
  assert.is(weightedMedian([1, 2, 100], [1, 1, 5]), 100);
  assert.is(weightedMedian([1, 2], [1, 1]), 1.5);
  assert.is(weightedMedian([5, 1, 9], [1, 0, 1]), 7);
});

test('consensus: liars are flagged and outvoted whichever way they lie', () => {
  const th = { psnr: 30, ssim: 0.9 };
  // good work, one liar says it fails
  let r = decide(
    [vote('a', 40, true), vote('b', 40, true), vote('c', 40, true), vote('x', 10, false)],
    eq(['a', 'b', 'c', 'x']),
    th,
  );
  assert.is(r.verdict, 'accepted');
  assert.equal(r.flagged, ['x']);
  // bad work, two colluding liars of five say it passes with the same numbers: 3/5 is no 2/3 supermajority, so
  // nobody is flagged and there is no verdict yet (the engine widens the quorum)
  const five = [
    vote('a', 20, false),
    vote('b', 20, false),
    vote('c', 20, false),
    vote('x', 45, true),
    vote('y', 45, true),
  ];
  r = decide(five, eq(['a', 'b', 'c', 'x', 'y']), th);
  assert.is(r.verdict, 'inconclusive');
  assert.ok(r.contested);
  assert.equal(r.flagged, []);
  assert.equal(r.dissenting.sort(), ['x', 'y']);
  // widened to seven: 5/7 agree, the liars are flagged and the work rejected
  r = decide([...five, vote('d', 20, false), vote('e', 20, false)], eq(['a', 'b', 'c', 'd', 'e', 'x', 'y']), th);
  assert.is(r.verdict, 'rejected');
  assert.equal(r.flagged.sort(), ['x', 'y']);
  assert.ok(r.intervals.psnr.hi < 30);
  // three colluders of five hold the median, but not 2/3 of the weight: the honest two are not flagged
  r = decide(
    [vote('a', 20, false), vote('b', 20, false), vote('x', 45, true), vote('y', 45, true), vote('z', 45, true)],
    eq(['a', 'b', 'x', 'y', 'z']),
    th,
  );
  assert.is(r.verdict, 'inconclusive');
  assert.equal(r.flagged, []);
  // a vote whose pass bit contradicts its own numbers does not count as pass
  r = decide([vote('a', 20, true), vote('b', 20, true), vote('c', 20, true)], eq(['a', 'b', 'c']), th);
  assert.is(r.verdict, 'rejected');
  // no majority around the median: inconclusive, never a verdict
  r = decide([vote('a', 20, false), vote('b', 40, true)], eq(['a', 'b']), th);
  assert.is(r.verdict, 'inconclusive');
});

test('claims better than the consensus are not reproduced', () => {
  const med = { psnr: 30, ssim: 0.9, flip: 0.1 };
  assert.equal(unreproducedClaims({ psnr: 31, ssim: 0.91 }, med), []);
  assert.equal(unreproducedClaims({ psnr: 45, flip: 0.01 }, med), ['psnr', 'flip']);
  assert.equal(unreproducedClaims({ psnr: 20 }, med), [], 'an understated claim is not a lie');
});

test('reputation: a new node is trusted, a liar loses trust within a few jobs and can recover', () => {
  let r: Reputation = DEFAULT_REPUTATION.prior;
  assert.ok(isTrusted(r));
  let flags = 0;
  while (isTrusted(r)) {
    r = updateReputation(r, 'flagged');
    flags++;
  }
  assert.ok(flags >= 2 && flags <= 5, `untrusted after ${flags} flags`);
  // it keeps lying on its spot checks for a while, then reforms: recovery takes many honest spot checks
  for (let i = 0; i < 8; i++) r = updateReputation(r, 'flagged');
  let spot = 0;
  while (!isTrusted(r) && spot < 500) {
    r = updateReputation(r, 'agree');
    spot++;
  }
  assert.ok(isTrusted(r) && spot >= 10 && spot < 500, `recovered after ${spot} spot checks`);
  // one flag in a long honest history does not make a node untrusted
  let h: Reputation = DEFAULT_REPUTATION.prior;
  for (let i = 0; i < 50; i++) h = updateReputation(h, 'agree');
  h = updateReputation(h, 'flagged');
  assert.ok(isTrusted(h));
  assert.ok(lowerBound(h) < h.alpha / (h.alpha + h.beta), 'the lower bound is below the mean');
  assert.ok(voteWeight(h, 10, true) <= lowerBound(h) + 1e-12, 'capability is clamped');
  assert.ok(Math.abs(voteWeight(h, 1, false) - lowerBound(h) / 2) < 1e-12);
});

test('reputation: flags fade more slowly than agreement, so a node that lies on one job in five ends untrusted', () => {
  const run = (o: typeof DEFAULT_REPUTATION) => {
    let r: Reputation = o.prior;
    let trustedAtEnd = true;
    for (let i = 0; i < 400; i++) {
      r = updateReputation(r, i % 5 === 4 ? 'flagged' : 'agree', o);
      if (i >= 360) trustedAtEnd &&= isTrusted(r, o);
    }
    return { r, trustedAtEnd };
  };
  const slow = run(DEFAULT_REPUTATION),
    symmetric = run({ ...DEFAULT_REPUTATION, flagForgetting: DEFAULT_REPUTATION.forgetting });
  assert.ok(symmetric.trustedAtEnd, 'with flags forgotten as fast as agreement it stays trusted');
  assert.not.ok(isTrusted(slow.r), `β ${slow.r.beta.toFixed(1)}, α ${slow.r.alpha.toFixed(1)}: still trusted`);
  // An honest node's single flag still fades: trusted throughout, and its weight back within 2% after 300 jobs.
  let h: Reputation = DEFAULT_REPUTATION.prior;
  for (let i = 0; i < 100; i++) h = updateReputation(h, 'agree');
  const before = lowerBound(h);
  h = updateReputation(h, 'flagged');
  for (let i = 0; i < 300; i++) {
    h = updateReputation(h, 'agree');
    assert.ok(isTrusted(h), `untrusted ${i} jobs after one flag`);
  }
  assert.ok(
    lowerBound(h) > 0.98 * before,
    `weight ${lowerBound(h).toFixed(3)} against ${before.toFixed(3)} before the flag`,
  );
});

test.run();
