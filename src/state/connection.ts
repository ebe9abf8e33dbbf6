import type { TableClient, TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { QueueClient } from '@azure/storage-queue';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../azure/config.ts';

/**
 * How the bot reaches its storage account (findings, audit log, event ledger, scan queue).
 * In Azure: identity-based, the service endpoints plus the bot's TokenCredential, no account keys anywhere.
 * Locally and in tests: a connection string (Azurite's `UseDevelopmentStorage=true`, or one naming Azurite's ports).
 */
export type StorageConnection =
  | { kind: 'identity'; tableEndpoint: string; queueEndpoint: string }
  | { kind: 'connection-string'; connectionString: string };

export const STORAGE_ENV = {
  connectionString: 'IDWARDEN_STORAGE_CONNECTION_STRING',
  tableEndpoint: 'IDWARDEN_STORAGE_TABLE_ENDPOINT',
  queueEndpoint: 'IDWARDEN_STORAGE_QUEUE_ENDPOINT',
  /** The Functions host's identity-based connection convention, accepted when the IDWARDEN_ variables are unset. */
  functionsTableEndpoint: 'AzureWebJobsStorage__tableServiceUri',
  functionsQueueEndpoint: 'AzureWebJobsStorage__queueServiceUri',
} as const;

/** Unset and empty are the same: deployment templates often write empty app settings. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/**
 * A storage service endpoint for bearer-token access: https (tokens never travel in clear), no query string
 * (a SAS there would be a shared secret), no user info. A path is allowed: Azurite puts the account in it.
 */
const serviceEndpoint = optional(
  z
    .string()
    .superRefine((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        // Not echoed: a connection string pasted here by mistake would carry its account key into the logs.
        ctx.addIssue({ code: 'custom', message: 'is not a URL (expected e.g. https://<account>.table.core.windows.net)' });
        return;
      }
      if (url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: `'${url.origin}${url.pathname}' must use https (bearer tokens are only sent over TLS)` });
      if (url.search) ctx.addIssue({ code: 'custom', message: 'must not carry a query string: identity-based access uses no SAS token' });
      if (url.hash || url.username || url.password) ctx.addIssue({ code: 'custom', message: `'${url.origin}${url.pathname}' must not carry user info or a fragment` });
    })
    .transform((value) => {
      const url = new URL(value);
      return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    }),
);

/**
 * The parts of a storage connection string, validated without ever echoing it: it usually holds an account key.
 * Endpoints come from the account name or are named; credentials are a key or a SAS, or Azurite's shortcut.
 */
const connectionString = optional(
  z.string().superRefine((value, ctx) => {
    const parts = new Map<string, string>();
    for (const segment of value.split(';').filter((part) => part.trim() !== '')) {
      const separator = segment.indexOf('=');
      if (separator <= 0) {
        ctx.addIssue({ code: 'custom', message: 'is not a storage connection string: every part must be Name=value, separated by ;' });
        return;
      }
      parts.set(segment.slice(0, separator).trim().toLowerCase(), segment.slice(separator + 1).trim());
    }
    if (parts.get('usedevelopmentstorage')?.toLowerCase() === 'true') return;
    if (!parts.has('accountkey') && !parts.has('sharedaccesssignature')) {
      ctx.addIssue({ code: 'custom', message: 'names no AccountKey or SharedAccessSignature (for Azure use the identity-based endpoints instead)' });
    }
    if (!parts.has('accountname') && !(parts.has('tableendpoint') && parts.has('queueendpoint'))) {
      ctx.addIssue({ code: 'custom', message: 'needs AccountName, or both TableEndpoint and QueueEndpoint' });
    }
  }),
);

const envSchema = z.object({
  [STORAGE_ENV.connectionString]: connectionString,
  [STORAGE_ENV.tableEndpoint]: serviceEndpoint,
  [STORAGE_ENV.queueEndpoint]: serviceEndpoint,
  [STORAGE_ENV.functionsTableEndpoint]: serviceEndpoint,
  [STORAGE_ENV.functionsQueueEndpoint]: serviceEndpoint,
});

/** Reads the storage connection from an environment-like record; every problem is listed in one ConfigError. */
export function loadStorageConfig(env: Readonly<Record<string, string | undefined>>): StorageConnection {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? 'environment'), message: issue.message })));
  }
  const values = parsed.data;
  const cs = values[STORAGE_ENV.connectionString];
  const ownTable = values[STORAGE_ENV.tableEndpoint];
  const ownQueue = values[STORAGE_ENV.queueEndpoint];
  if (cs !== undefined) {
    if (ownTable !== undefined || ownQueue !== undefined) {
      throw new ConfigError([
        {
          variable: STORAGE_ENV.connectionString,
          message: `set either the connection string or ${STORAGE_ENV.tableEndpoint}/${STORAGE_ENV.queueEndpoint}, not both`,
        },
      ]);
    }
    return { kind: 'connection-string', connectionString: cs };
  }

  const tableEndpoint = ownTable ?? values[STORAGE_ENV.functionsTableEndpoint];
  const queueEndpoint = ownQueue ?? values[STORAGE_ENV.functionsQueueEndpoint];
  if (tableEndpoint === undefined && queueEndpoint === undefined) {
    throw new ConfigError([
      {
        variable: STORAGE_ENV.tableEndpoint,
        message:
          `storage is not configured: set ${STORAGE_ENV.tableEndpoint} and ${STORAGE_ENV.queueEndpoint} (identity-based, ` +
          `or the Functions host's ${STORAGE_ENV.functionsTableEndpoint}/${STORAGE_ENV.functionsQueueEndpoint}), ` +
          `or ${STORAGE_ENV.connectionString} for Azurite (UseDevelopmentStorage=true)`,
      },
    ]);
  }
  const missing: ConfigIssue[] = [];
  if (tableEndpoint === undefined) missing.push({ variable: STORAGE_ENV.tableEndpoint, message: 'is required with the queue endpoint (the bot uses both services)' });
  if (queueEndpoint === undefined) missing.push({ variable: STORAGE_ENV.queueEndpoint, message: 'is required with the table endpoint (the bot uses both services)' });
  if (tableEndpoint === undefined || queueEndpoint === undefined) throw new ConfigError(missing);
  return { kind: 'identity', tableEndpoint, queueEndpoint };
}

export interface StorageClientOptions {
  /** Required for identity-based connections: the bot's own credential. */
  credential?: TokenCredential;
  retryOptions?: TableServiceClientOptions['retryOptions'];
}

/** The storage SDKs load on first use, so importing the Functions entry does not pay for them (bench: cold import). */
export async function createTableClient(connection: StorageConnection, tableName: string, options: StorageClientOptions = {}): Promise<TableClient> {
  const { TableClient } = await import('@azure/data-tables');
  const clientOptions: TableServiceClientOptions = options.retryOptions ? { retryOptions: options.retryOptions } : {};
  if (connection.kind === 'connection-string') {
    // Only matters for http endpoints, which only Azurite has: its shared key is the documented development key.
    return TableClient.fromConnectionString(connection.connectionString, tableName, { ...clientOptions, allowInsecureConnection: true });
  }
  return new TableClient(connection.tableEndpoint, tableName, credentialFor(connection, options), clientOptions);
}

export async function createQueueClient(connection: StorageConnection, queueName: string, options: Pick<StorageClientOptions, 'credential'> = {}): Promise<QueueClient> {
  const { QueueClient } = await import('@azure/storage-queue');
  if (connection.kind === 'connection-string') return new QueueClient(connection.connectionString, queueName);
  return new QueueClient(`${connection.queueEndpoint}/${queueName}`, credentialFor(connection, options));
}

function credentialFor(connection: Extract<StorageConnection, { kind: 'identity' }>, options: StorageClientOptions): TokenCredential {
  if (!options.credential) {
    throw new Error(`an identity-based storage connection (${connection.tableEndpoint}) needs the bot's TokenCredential`);
  }
  return options.credential;
}
