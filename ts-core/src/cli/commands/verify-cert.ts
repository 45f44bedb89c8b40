/** `ote verify-cert cert.json [--engine-key KEY]`: checks a certificate offline (no engine needed). */
import { readFile } from 'node:fs/promises';
import { verifyCertificate, type Certificate } from '../../trust/certificate.js';
import { ed25519Verify } from '../../trust/crypto.js';
import { OteError } from '../../errors.js';
import { parse, requirePositional } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../../exit-codes.js';

export const verifyCertCommand: Command = {
  name: 'verify-cert',
  summary: 'check a Trust Engine certificate offline (signatures, votes, consensus, log inclusion)',
  usage: 'ote verify-cert cert.json [--engine-key HEX] [--json]',
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, { 'engine-key': { type: 'string' }, json: { type: 'boolean' } });
    const file = requirePositional(positionals, 0, 'certificate file');
    let cert: Certificate;
    try {
      cert = JSON.parse(await readFile(file, 'utf8'));
    } catch (e) {
      throw new OteError('BAD_INPUT', `not a readable JSON certificate: ${(e as Error).message}`, { file });
    }
    const r = verifyCertificate(cert, ed25519Verify, { engineKey: values['engine-key'] });
    if (values.json) ctx.stdout(`${JSON.stringify({ file, ...r, verdict: cert.verdict })}\n`);
    else if (r.ok) {
      const m = cert.metrics;
      ctx.stdout(
        `${file}: valid certificate, verdict ${cert.verdict.toUpperCase()} (${cert.reason})\n` +
          `  engine ${cert.engineKey}${values['engine-key'] ? ' (pinned)' : ' (not pinned: pass --engine-key to require it)'}\n` +
          `  PSNR ${m.psnr.median.toFixed(2)} dB [${m.psnr.lo.toFixed(2)}, ${m.psnr.hi.toFixed(2)}], SSIM ${m.ssim.median.toFixed(4)}, FLIP ${m.flip.median.toFixed(4)}; ` +
          `${cert.nodes.length} nodes, log entry ${cert.log.index} of ${cert.log.checkpoint.size}\n`,
      );
    } else ctx.stdout(`${file}: INVALID certificate\n${r.problems.map((p) => `  ${p}\n`).join('')}`);
    return r.ok ? EXIT.OK : EXIT.VERIFICATION_REJECTED;
  },
};
