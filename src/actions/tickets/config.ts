import { TicketError } from './errors.ts';
import { parseBaseUrl } from './http.ts';

/**
 * Where tickets go, from the environment (Function app settings): the services' base URLs are configuration, so
 * GitHub Enterprise Server, Azure DevOps Server and the emulator's sinks are reached exactly like the public services.
 */
export const TICKET_ENV = {
  githubApiUrl: 'IDWARDEN_GITHUB_API_URL',
  azureDevOpsUrl: 'IDWARDEN_AZURE_DEVOPS_URL',
} as const;

export interface TicketEndpoints {
  /** e.g. https://api.github.com, or https://github.example.com/api/v3 for GitHub Enterprise Server. */
  githubApiUrl: string;
  /** e.g. https://dev.azure.com (organizations are paths under it). */
  azureDevOpsUrl: string;
}

type Environment = Readonly<Record<string, string | undefined>>;

const setting = (env: Environment, name: string) => (env[name] === '' ? undefined : env[name]);

export function loadTicketEndpoints(env: Environment): TicketEndpoints {
  const github = parseBaseUrl(setting(env, TICKET_ENV.githubApiUrl) ?? 'https://api.github.com', 'github', TICKET_ENV.githubApiUrl);
  const devops = parseBaseUrl(setting(env, TICKET_ENV.azureDevOpsUrl) ?? 'https://dev.azure.com', 'azure-devops', TICKET_ENV.azureDevOpsUrl);
  return { githubApiUrl: github.href.replace(/\/$/, ''), azureDevOpsUrl: devops.href.replace(/\/$/, '') };
}

/**
 * The GitHub token, read at run time from the app setting the policy names (`tickets.github.tokenSetting`, default
 * GITHUB_TOKEN); neither the policy nor the code holds a secret.
 *
 * On Azure Functions that setting is a Key Vault reference, `@Microsoft.KeyVault(SecretUri=https://<vault>.vault.azure.net/secrets/<name>)`:
 * the platform resolves it with the app's managed identity (which needs the "Key Vault Secrets User" role on the vault)
 * and hands the function the secret's value. When it cannot, the setting keeps the literal reference, which is
 * refused here with a message that says so instead of being sent to GitHub as a token. The value is never logged.
 */
export function readGitHubToken(env: Environment, settingName: string): string {
  const value = setting(env, settingName)?.trim();
  const refuse = (code: string, detail: string) => new TicketError({ service: 'github', operation: 'configure', statusCode: undefined, code, requestId: undefined }, detail);
  if (!value) throw refuse('TokenSettingMissing', `the app setting ${settingName} (tickets.github.tokenSetting) is not set`);
  if (/^@Microsoft\.KeyVault\(/i.test(value)) {
    throw refuse(
      'KeyVaultReferenceUnresolved',
      `the app setting ${settingName} still holds its Key Vault reference: the Functions platform could not read the secret (check the app's managed identity has "Key Vault Secrets User" on the vault and the secret URI)`,
    );
  }
  return value;
}
