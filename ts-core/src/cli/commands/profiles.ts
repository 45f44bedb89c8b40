import { BUILTIN_PROFILES, diffProfiles } from '../../plan/profile.js';
import { parse, requirePositional, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { loadProfile } from '../profile-file.js';

export const profilesCommand: Command = {
  name: 'profiles',
  summary: 'list, show, validate or diff optimization profiles (built-in names or JSON files)',
  usage: 'ote profiles list | show <profile> | validate <file.json>... | diff <a> <b>   [--json]',
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, { json: { type: 'boolean' } });
    const [action, ...args] = positionals;
    const out = (v: unknown, text: string) => ctx.stdout(values.json ? `${JSON.stringify(v, null, 2)}\n` : text);
    switch (action) {
      case 'list': {
        const rows = Object.values(BUILTIN_PROFILES).map((p) => ({ name: p.name, description: p.description ?? '' }));
        out(rows, `${rows.map((r) => `${r.name.padEnd(12)} ${r.description}`).join('\n')}\n`);
        return 0;
      }
      case 'show': {
        const p = await loadProfile(requirePositional(args, 0, 'profile name or file'));
        out(p, `${JSON.stringify(p, null, 2)}\n`);
        return 0;
      }
      case 'validate': {
        if (!args.length) throw new UsageError('missing profile file(s)');
        for (const f of args) {
          const p = await loadProfile(f);
          if (!values.json) ctx.stdout(`${f}: valid (${p.name})\n`);
        }
        if (values.json) ctx.stdout(`${JSON.stringify({ valid: args })}\n`);
        return 0;
      }
      case 'diff': {
        const a = await loadProfile(requirePositional(args, 0, 'first profile'));
        const b = await loadProfile(requirePositional(args, 1, 'second profile'));
        const d = diffProfiles(a, b).filter((x) => x.field !== 'name' && x.field !== 'description');
        out(
          d,
          d.length
            ? `${d.map((x) => `${x.field.padEnd(28)} ${JSON.stringify(x.a)} → ${JSON.stringify(x.b)}`).join('\n')}\n`
            : 'no differences\n',
        );
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown action "${action}"` : 'missing action');
    }
  },
};
