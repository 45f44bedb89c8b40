import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromHex, toHex } from '../../src/trust/bytes.js';
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from '../../src/trust/merkle.js';

// Certificate Transparency's reference inputs and tree heads (RFC 6962 test vectors, as used by
// certificate-transparency-go's merkle tests).
const DATA = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(
  fromHex,
);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const LEAVES = DATA.map(leafHash);
const at = (ls: Uint8Array[]) => (i: number) => ls[i];

test('RFC 6962 tree heads for sizes 0..8', () => {
  assert.is(toHex(EMPTY_ROOT), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.is(toHex(rootOf([])), toHex(EMPTY_ROOT));
  for (let n = 1; n <= 8; n++) assert.is(toHex(rootOf(LEAVES.slice(0, n))), ROOTS[n - 1], `size ${n}`);
});

test('RFC 6962 inclusion proofs', () => {
  const vectors = [
    {
      index: 0,
      size: 8,
      proof: [
        '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
      ],
    },
    {
      index: 5,
      size: 8,
      proof: [
        'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
        'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
        'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      ],
    },
  ];
  for (const v of vectors) {
    const p = inclusionProof(at(LEAVES), v.index, v.size);
    assert.equal(p.map(toHex), v.proof);
    assert.ok(verifyInclusion(LEAVES[v.index], v.index, v.size, v.proof.map(fromHex), fromHex(ROOTS[v.size - 1])));
  }
});

test('RFC 6962 consistency proofs', () => {
  const vectors = [
    { first: 1, second: 1, proof: [] as string[] },
    {
      first: 2,
      second: 8,
      proof: [
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
      ],
    },
    {
      first: 6,
      second: 8,
      proof: [
        '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
        'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
        'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      ],
    },
    {
      first: 2,
      second: 5,
      proof: [
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      ],
    },
  ];
  for (const v of vectors) {
    assert.equal(consistencyProof(at(LEAVES), v.first, v.second).map(toHex), v.proof, `${v.first}→${v.second}`);
    assert.ok(
      verifyConsistency(
        v.first,
        v.second,
        fromHex(ROOTS[v.first - 1]),
        fromHex(ROOTS[v.second - 1]),
        v.proof.map(fromHex),
      ),
    );
  }
});

test('every proof of every tree up to 40 leaves verifies, and mangled ones do not', () => {
  const ls = Array.from({ length: 40 }, (_, i) => leafHash(new Uint8Array([i, (i * 7) & 255])));
  const roots = Array.from({ length: 41 }, (_, n) => rootOf(ls.slice(0, n)));
  for (let n = 1; n <= 40; n++) {
    for (let i = 0; i < n; i++) {
      const p = inclusionProof(at(ls), i, n);
      assert.ok(verifyInclusion(ls[i], i, n, p, roots[n]), `inclusion ${i}/${n}`);
      if (p.length) {
        const bad = p.map((h) => h.slice());
        bad[0][3] ^= 1;
        assert.not.ok(verifyInclusion(ls[i], i, n, bad, roots[n]), `flipped ${i}/${n}`);
        assert.not.ok(verifyInclusion(ls[i], i, n, p.slice(0, -1), roots[n]), `truncated ${i}/${n}`);
      }
      if (n > 1) assert.not.ok(verifyInclusion(ls[(i + 1) % n], i, n, p, roots[n]), `other leaf ${i}/${n}`);
    }
    for (let m = 0; m <= n; m++) {
      const p = consistencyProof(at(ls), m, n);
      assert.ok(verifyConsistency(m, n, roots[m], roots[n], p), `consistency ${m}→${n}`);
      if (p.length) {
        const bad = p.map((h) => h.slice());
        bad[bad.length - 1][0] ^= 0x80;
        assert.not.ok(verifyConsistency(m, n, roots[m], roots[n], bad), `flipped ${m}→${n}`);
      }
      if (m > 0 && m < n) assert.not.ok(verifyConsistency(m, n, roots[m - 1], roots[n], p), `wrong old root ${m}→${n}`);
    }
  }
});

test('malformed proofs are rejected without throwing', () => {
  const p = inclusionProof(at(LEAVES), 5, 8);
  assert.not.ok(verifyInclusion(new Uint8Array(31), 5, 8, p, fromHex(ROOTS[7])));
  assert.not.ok(verifyInclusion(LEAVES[5], 8, 8, p, fromHex(ROOTS[7])));
  assert.not.ok(verifyInclusion(LEAVES[5], -1, 8, p, fromHex(ROOTS[7])));
  assert.not.ok(verifyConsistency(8, 6, fromHex(ROOTS[7]), fromHex(ROOTS[5]), []));
  assert.throws(() => inclusionProof(at(LEAVES), 8, 8), RangeError);
});

test.run();
