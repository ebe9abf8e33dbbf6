/** `idwarden policy validate FILE`, as a function: the CLI prints `output` and exits with `exitCode`. */
import { exemptionExpired } from './exemptions.ts';
import { loadPolicyFile } from './load.ts';
import { formatProblem, PolicyError } from './policy-error.ts';
import { policySchema, type PolicySchema } from './schema.ts';

export interface CommandResult {
  exitCode: 0 | 2;
  output: string;
}

export interface ValidateOptions {
  /** The instant exemptions are counted as active or expired at. */
  now?: Date;
  schema?: PolicySchema;
}

export function validatePolicyCommand(file: string, { now = new Date(), schema = policySchema }: ValidateOptions = {}): CommandResult {
  try {
    const { policy, hash } = loadPolicyFile(file, schema);
    const settings = Object.values(policy.rules);
    const enabled = settings.filter((rule) => rule?.enabled).length;
    const expired = policy.exemptions.filter((exemption) => exemptionExpired(exemption, now)).length;
    const active = policy.exemptions.length - expired;
    return {
      exitCode: 0,
      output: `${file}: valid policy sha256:${hash}, enforcement ${policy.enforcement}, ${enabled}/${settings.length} rules enabled, exemptions ${active} active / ${expired} expired as of ${now.toISOString()}`,
    };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    const count = `${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}`;
    return { exitCode: 2, output: [`${file}: invalid policy, ${count}:`, ...error.problems.map(formatProblem)].join('\n') };
  }
}
