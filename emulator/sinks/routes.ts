import { z } from 'zod';
import { EmulatorHttpError } from '../server/errors.ts';
import { json, type EmulatorRequest } from '../server/exchange.ts';
import type { Route } from '../server/route.ts';
import { devOpsRoutes } from './azure-devops.ts';
import { PROCESSES } from './azure-devops-wire.ts';
import { githubRoutes } from './github.ts';

/**
 * The sinks' service routes (GitHub Issues under /github/api/v3, Azure DevOps under /devops) and their control
 * surface under /_emulator/sinks: what each sink holds and every request it accepted, a reset, and the
 * repositories and projects that exist.
 */

function parse<T>(schema: z.ZodType<T>, req: EmulatorRequest): T {
  const result = schema.safeParse(req.body ?? {});
  if (!result.success) {
    throw new EmulatorHttpError(400, 'InvalidControlRequest', result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; '));
  }
  return result.data;
}

const RepositorySchema = z.strictObject({ fullName: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "expected 'owner/name'") });
const ProjectSchema = z.strictObject({
  organization: z.string().regex(/^[\w.-]+$/),
  project: z.string().min(1),
  process: z.enum(Object.keys(PROCESSES) as [keyof typeof PROCESSES]).optional(),
});
const MemberSchema = z.strictObject({ principalId: z.guid() });

const control = (name: string, method: Route['method'], pattern: RegExp, handle: Route['handle']): Route => ({
  name: `control.sinks.${name}`,
  method,
  service: 'control',
  pattern,
  anonymous: true,
  handle,
});

const sinkControlRoutes: Route[] = [
  control('github', 'GET', /^\/_emulator\/sinks\/github$/i, (_req, { core }) => {
    const sink = core.sinks.github;
    return json(200, { repositories: sink.repositoryNames(), issues: sink.issues, requests: sink.requests });
  }),
  control('github.reset', 'DELETE', /^\/_emulator\/sinks\/github$/i, (_req, { core }) => {
    core.sinks.github.reset();
    return json(204);
  }),
  control('github.repositories', 'POST', /^\/_emulator\/sinks\/github\/repositories$/i, (req, { core }) => {
    const repository = core.sinks.github.addRepository(parse(RepositorySchema, req).fullName);
    return json(201, repository);
  }),
  control('devops', 'GET', /^\/_emulator\/sinks\/devops$/i, (_req, { core }) => {
    const sink = core.sinks.devops;
    return json(200, { projects: sink.projectList(), members: [...sink.members], workItems: sink.workItems, requests: sink.requests });
  }),
  control('devops.reset', 'DELETE', /^\/_emulator\/sinks\/devops$/i, (_req, { core }) => {
    core.sinks.devops.reset();
    return json(204);
  }),
  control('devops.projects', 'POST', /^\/_emulator\/sinks\/devops\/projects$/i, (req, { core }) => {
    const body = parse(ProjectSchema, req);
    return json(201, core.sinks.devops.addProject(body.organization, body.project, body.process));
  }),
  control('devops.members', 'POST', /^\/_emulator\/sinks\/devops\/members$/i, (req, { core }) => {
    core.sinks.devops.members.add(parse(MemberSchema, req).principalId);
    return json(204);
  }),
];

export const sinkRoutes: Route[] = [...sinkControlRoutes, ...githubRoutes, ...devOpsRoutes];
