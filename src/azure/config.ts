import { z } from 'zod';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './timeout.ts';

/**
 * Where the bot's Azure clients point and how they authenticate, read from an environment-like record.
 * The emulator is configuration, not a branch: `idwarden emulator` prints exactly these variables.
 */
export interface AzureConfig {
  /** ARM origin without a trailing slash, e.g. https://management.azure.com. */
  armEndpoint: string;
  /** Microsoft Graph origin without a trailing slash, e.g. https://graph.microsoft.com. */
  graphEndpoint: string;
  /** Host name of the Graph endpoint: the Graph client only attaches tokens to known Graph hosts and these. */
  graphHost: string;
  /** `managed-identity` on Azure Functions; `default` (DefaultAzureCredential) for a person's command-line run. */
  credential: CredentialKind;
  /** A user-assigned identity's client id; absent means the system-assigned identity. */
  clientId: string | undefined;
  tenantId: string | undefined;
  /** How long one request to ARM, Resource Graph or Graph may take before the bot stops waiting (timeout.ts). */
  requestTimeoutMs: number;
}

export type CredentialKind = 'managed-identity' | 'default';

export const AZURE_ENV = {
  armEndpoint: 'IDWARDEN_ARM_ENDPOINT',
  graphEndpoint: 'IDWARDEN_GRAPH_ENDPOINT',
  credential: 'IDWARDEN_CREDENTIAL',
  clientId: 'AZURE_CLIENT_ID',
  tenantId: 'AZURE_TENANT_ID',
  requestTimeoutMs: 'IDWARDEN_AZURE_REQUEST_TIMEOUT_MS',
} as const;

export interface ConfigIssue {
  /** The environment variable at fault. */
  variable: string;
  message: string;
}

/** Configuration refused as a whole, with every problem listed, so one run shows all of them. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: ConfigIssue[]) {
    super(`Invalid Azure configuration:\n${issues.map((issue) => `  - ${issue.variable}: ${issue.message}`).join('\n')}`);
  }
}

/** Unset and empty are the same: deployment templates often write empty app settings. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/**
 * An https origin. Bearer tokens never go over plain http: core-rest-pipeline refuses it and the Graph client
 * silently drops the Authorization header, so an http endpoint is a configuration error, not a runtime surprise.
 */
const httpsOrigin = (fallback: string) =>
  optional(z.string())
    .transform((value) => value ?? fallback)
    .pipe(
      z.string().superRefine((value, ctx) => {
        let url: URL;
        try {
          url = new URL(value);
        } catch {
          ctx.addIssue({ code: 'custom', message: `'${value}' is not a URL (expected an https origin such as ${fallback})` });
          return;
        }
        if (url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: `'${value}' must use https (bearer tokens are only sent over TLS)` });
        if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
          ctx.addIssue({ code: 'custom', message: `'${value}' must be an origin only (scheme, host, optional port), such as ${fallback}` });
        }
      }),
    )
    .transform((value) => new URL(value).origin);

const guid = z.guid({ error: 'must be a GUID' });

const envSchema = z.object({
  [AZURE_ENV.armEndpoint]: httpsOrigin('https://management.azure.com'),
  [AZURE_ENV.graphEndpoint]: httpsOrigin('https://graph.microsoft.com'),
  [AZURE_ENV.credential]: optional(
    z.enum(['managed-identity', 'default'], { error: "must be 'managed-identity' (Azure Functions) or 'default' (DefaultAzureCredential)" }),
  ),
  [AZURE_ENV.clientId]: optional(guid),
  [AZURE_ENV.tenantId]: optional(guid),
  [AZURE_ENV.requestTimeoutMs]: optional(z.coerce.number({ error: 'must be a number of milliseconds' }).int().positive().max(600_000, { error: 'must be at most 600000 (the Functions host limit)' })),
});

export function loadAzureConfig(env: Readonly<Record<string, string | undefined>>): AzureConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? 'environment'), message: issue.message })));
  }
  const values = parsed.data;
  const graphEndpoint = values[AZURE_ENV.graphEndpoint];
  return {
    armEndpoint: values[AZURE_ENV.armEndpoint],
    graphEndpoint,
    graphHost: new URL(graphEndpoint).hostname,
    credential: values[AZURE_ENV.credential] ?? 'default',
    clientId: values[AZURE_ENV.clientId],
    tenantId: values[AZURE_ENV.tenantId],
    requestTimeoutMs: values[AZURE_ENV.requestTimeoutMs] ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
}
