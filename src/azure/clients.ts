import type { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { ManagedServiceIdentityClient } from '@azure/arm-msi';
import type { ResourceManagementClient } from '@azure/arm-resources';
import type { ResourceGraphClient } from '@azure/arm-resourcegraph';
import type { TokenCredential } from '@azure/identity';
import type { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import type { AzureConfig } from './config.ts';
import { createCredential } from './credential.ts';
import { ARM_RETRY_OPTIONS, GRAPH_RETRY, resourceGraphRetryPolicy } from './retry.ts';
import { armHostPinning, GraphHostPinningHandler } from './host-pinning.ts';
import { armRequestTimeout, GraphRequestTimeoutHandler, resourceGraphRequestTimeout } from './timeout.ts';

/**
 * Token scopes are the public clouds' resource ids whatever the endpoint: a client pointed elsewhere
 * (the emulator) would otherwise ask for a token for its own URL, which Entra does not issue.
 */
export const ARM_SCOPE = 'https://management.azure.com/.default';
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/**
 * ARM operations addressed by scope or full id (listForScope, getById, create, deleteById) never put the client's
 * subscription in the URL, yet the generated client insists on one; this placeholder says so where it is used.
 */
export const SCOPE_ADDRESSED = '00000000-0000-0000-0000-000000000000';

export type { GraphClient };

/**
 * The real SDK clients, built once each from one AzureConfig and one credential. Each SDK is imported on first
 * use, so loading the Functions entry point does not pay for the clients a given invocation never calls.
 */
export interface AzureClients {
  readonly config: AzureConfig;
  readonly credential: TokenCredential;
  /** Pass the subscription for subscription-level operations; scope-addressed ones can use SCOPE_ADDRESSED. */
  authorization(subscriptionId: string): Promise<AuthorizationManagementClient>;
  managedIdentities(subscriptionId: string): Promise<ManagedServiceIdentityClient>;
  resources(subscriptionId: string): Promise<ResourceManagementClient>;
  resourceGraph(): Promise<ResourceGraphClient>;
  graph(): Promise<GraphClient>;
}

export function createAzureClients(config: AzureConfig, credential: TokenCredential = createCredential(config)): AzureClients {
  // Pinned to the configured endpoint: a nextLink elsewhere would otherwise get the ARM token (host-pinning.ts).
  const armOptions = { endpoint: config.armEndpoint, credentialScopes: [ARM_SCOPE], retryOptions: ARM_RETRY_OPTIONS, additionalPolicies: [armHostPinning(config.armEndpoint), armRequestTimeout(config.requestTimeoutMs)] };
  const authorization = memoize(async (subscriptionId: string) => {
    const { AuthorizationManagementClient } = await import('@azure/arm-authorization');
    return new AuthorizationManagementClient(credential, subscriptionId, armOptions);
  });
  const managedIdentities = memoize(async (subscriptionId: string) => {
    const { ManagedServiceIdentityClient } = await import('@azure/arm-msi');
    return new ManagedServiceIdentityClient(credential, subscriptionId, armOptions);
  });
  const resources = memoize(async (subscriptionId: string) => {
    const { ResourceManagementClient } = await import('@azure/arm-resources');
    return new ResourceManagementClient(credential, subscriptionId, armOptions);
  });
  const resourceGraph = once(async () => {
    const { ResourceGraphClient } = await import('@azure/arm-resourcegraph');
    // 4.x is an ms-rest-js client: `baseUri` is its endpoint, and its token scope is always https://management.azure.com/.default.
    return new ResourceGraphClient(credential, {
      baseUri: config.armEndpoint,
      noRetryPolicy: true,
      requestPolicyFactories: (defaults) => [...defaults, resourceGraphRetryPolicy(), resourceGraphRequestTimeout(config.requestTimeoutMs)],
    });
  });
  const graph = once(async () => {
    const graphSdk = await import('@microsoft/microsoft-graph-client');
    const { TokenCredentialAuthenticationProvider } = await import('@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js');
    const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: [GRAPH_SCOPE] });
    // The default chain, with the retry limits stated instead of inherited.
    const middleware = [
      new graphSdk.AuthenticationHandler(authProvider),
      new graphSdk.RetryHandler(new graphSdk.RetryHandlerOptions(GRAPH_RETRY.delaySeconds, GRAPH_RETRY.maxRetries)),
      new graphSdk.RedirectHandler(new graphSdk.RedirectHandlerOptions()),
      new graphSdk.TelemetryHandler(),
      // Last before sending: an @odata.nextLink or redirect to another origin is refused (host-pinning.ts).
      new GraphHostPinningHandler(config.graphEndpoint),
      new GraphRequestTimeoutHandler(config.requestTimeoutMs),
      new graphSdk.HTTPMessageHandler(),
    ];
    return graphSdk.Client.initWithMiddleware({
      middleware,
      baseUrl: config.graphEndpoint,
      defaultVersion: 'v1.0',
      // Without its host listed, the client sends requests to a non-Microsoft host without the Authorization header.
      customHosts: new Set([config.graphHost]),
    });
  });
  return {
    config,
    credential,
    authorization,
    managedIdentities,
    resources,
    resourceGraph,
    graph,
  };
}

/** One client per key; a failed construction is forgotten so the next call tries again. */
function memoize<T>(build: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const built = new Map<string, Promise<T>>();
  return (key) => {
    let client = built.get(key);
    if (!client) {
      client = build(key);
      built.set(key, client);
      client.catch(() => built.delete(key));
    }
    return client;
  };
}

function once<T>(build: () => Promise<T>): () => Promise<T> {
  const single = memoize(build);
  return () => single('');
}
