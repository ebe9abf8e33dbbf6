/** One thing wrong with a policy: where (`rules.stale-identity.days`, `exemptions[0].expires`; '' for the whole document) and what. */
export interface PolicyProblem {
  path: string;
  message: string;
  /** For YAML syntax errors: 1-based position in the file. */
  line?: number;
  column?: number;
}

/** A policy refused as a whole, with every problem found: the bot never runs on a half-read policy. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly problems: PolicyProblem[],
    readonly source: string,
  ) {
    super(`invalid policy ${source}:\n${problems.map((problem) => `  ${formatProblem(problem)}`).join('\n')}`);
  }
}

export const formatProblem = (problem: PolicyProblem) => `${problem.path || '(policy)'}: ${problem.message}`;
