/**
 * The Resource Graph queries a sweep sends. They stay within the KQL the emulator implements
 * (emulator/resourcegraph), and each projects `id` so Resource Graph can page them.
 */
export const SUBSCRIPTIONS_QUERY = `resourcecontainers
| where type =~ 'microsoft.resources/subscriptions'
| project id, name, subscriptionId, properties`;

export const ROLE_ASSIGNMENTS_QUERY = `authorizationresources
| where type =~ 'microsoft.authorization/roleassignments'
| project id, name, properties`;

export const ROLE_DEFINITIONS_QUERY = `authorizationresources
| where type =~ 'microsoft.authorization/roledefinitions'
| project id, name, properties`;

/** Every resource carrying a managed identity, with the identity block that names its user-assigned identities. */
export const IDENTITY_HOLDERS_QUERY = `resources
| where isnotempty(identity)
| project id, name, type, subscriptionId, resourceGroup, identity`;
