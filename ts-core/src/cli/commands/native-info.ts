import { nativeInfo } from '../../native/addon.js';
import { parse } from '../args.js';
import type { Command } from '../command.js';

export const nativeInfoCommand: Command = {
  name: 'native-info',
  summary: 'show the native build: CUDA compiled in, devices found, CPU threads',
  usage: 'ote native-info [--json]',
  async run(argv, ctx) {
    const { values } = parse(argv, { json: { type: 'boolean' } });
    const info = nativeInfo();
    if (values.json) ctx.stdout(`${JSON.stringify(info, null, 2)}\n`);
    else {
      ctx.stdout(
        `CUDA compiled: ${info.cudaCompiled ? 'yes' : 'no'}   backend: ${info.backend}   CPU threads: ${info.threads}\n`,
      );
      for (const d of info.devices)
        ctx.stdout(
          `  ${d.name}  sm_${d.computeCapability.replace('.', '')}  ${(d.memoryBytes / 2 ** 30).toFixed(1)} GiB  ${d.multiprocessors} SMs\n`,
        );
      if (!info.devices.length) ctx.stdout(`  no CUDA device: ${info.cudaUnavailableReason}\n`);
    }
    return 0;
  },
};
