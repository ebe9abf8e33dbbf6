// idwarden on Azure: the Functions app (Flex Consumption, Node 22) running as its own user-assigned identity,
// its storage, monitoring and key vault, the Event Grid wiring from every watched subscription, and exactly the
// permissions infra/data/bot-permissions.json lists. Deployed by `azd up` (see README, "Deploy to Azure").
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('Name of the azd environment: names the resource group and seeds the unique resource names.')
param environmentName string

@minLength(1)
@description('Region of the bot\'s resources; it must offer the Flex Consumption plan.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Management group the bot governs (its id, e.g. mg-contoso). A subscription deployment cannot assign roles at a management group, so the postprovision hook deploys management-group.bicep there. Empty: the bot governs subscriptions.')
param targetManagementGroupId string = ''

@description('Comma-separated ids of the subscriptions the bot governs when no management group is set. Empty: this subscription.')
param targetSubscriptions string = ''

@description('Comma-separated ids of the subscriptions whose Azure Resource Manager events the bot watches, one Event Grid system topic each. Empty: the governed subscriptions (this subscription under a management group).')
param watchedSubscriptions string = ''

@description('Create the event subscriptions that deliver to the activityEvents function. Event Grid checks that the function exists, so switch this on after the first code deployment.')
param deployEventSubscriptions bool = false

@description('Grant what remediation needs: Role Based Access Control Administrator on the target, constrained by an ABAC condition. Off: the bot can only report.')
param enableRemediation bool = false

@description('Grant Managed Identity Contributor on the target so the bot can delete unattached user-assigned identities the policy opts in for.')
param enableIdentityDeletion bool = false

@description('Grant Microsoft Graph Mail.Send for email alerts.')
param enableEmail bool = false

@description('Grant Microsoft Graph AppRoleAssignment.ReadWrite.All so the bot can remove Graph app roles (itself a critical permission).')
param enableGraphAppRoleRemediation bool = false

@description('Grant the bot\'s Microsoft Graph app roles in this deployment through the Microsoft Graph Bicep extension; the deployer must be allowed to (Privileged Role Administrator or Global Administrator). False: run infra/scripts/grant-graph-permissions.sh instead.')
param grantGraphPermissions bool = true

@secure()
@description('Teams Workflows webhook URL. Stored as a Key Vault secret, given to the app as a Key Vault reference; never an output. Empty: no Teams alerts.')
param teamsWebhookUrl string = ''

@minValue(0)
@description('Always-ready instances for the activityEvents function: a cold start longer than Event Grid\'s 30-second timeout causes a redelivery (harmless, the handler is idempotent, but slower). 0 costs nothing while idle.')
param activityEventsAlwaysReady int = 0

var resourceToken = toLower(uniqueString(subscription().id, environmentName))
var tags = { 'azd-env-name': environmentName }
var teamsWebhookSecretName = 'teams-webhook-url'

var botPermissions = loadJsonContent('data/bot-permissions.json')
// Which of the file's grants this deployment makes: the ones enabled 'always', and those whose parameter is on.
var featureFlags = {
  always: true
  enableRemediation: enableRemediation
  enableIdentityDeletion: enableIdentityDeletion
  enableEmail: enableEmail
  enableGraphAppRoleRemediation: enableGraphAppRoleRemediation
}
var azureRoles = filter(botPermissions.azureRoles, role => featureFlags[role.enabledBy])
var graphAppRoles = filter(botPermissions.graphAppRoles, appRole => featureFlags[appRole.enabledBy])
var targetRoles = filter(azureRoles, role => role.scope == 'target')
var storageRoles = filter(azureRoles, role => role.scope == 'storage')
var keyVaultRoles = filter(azureRoles, role => role.scope == 'keyVault')

var governedSubscriptionIds = empty(targetSubscriptions) ? [subscription().subscriptionId] : map(split(targetSubscriptions, ','), id => trim(id))
var watchedSubscriptionIds = !empty(watchedSubscriptions)
  ? map(split(watchedSubscriptions, ','), id => trim(id))
  : (empty(targetManagementGroupId) ? governedSubscriptionIds : [subscription().subscriptionId])

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identities 'modules/identities.bicep' = {
  name: 'idwarden-identities'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'idwarden-monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
  }
}

module storage 'modules/storage.bicep' = {
  name: 'idwarden-storage'
  scope: rg
  params: {
    name: 'stidw${resourceToken}'
    location: location
    tags: tags
    botPrincipalId: identities.outputs.botPrincipalId
    botRoles: storageRoles
    deadLetterWriterPrincipalId: identities.outputs.eventGridPrincipalId
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'idwarden-key-vault'
  scope: rg
  params: {
    name: 'kv-idw-${resourceToken}'
    location: location
    tags: tags
    botPrincipalId: identities.outputs.botPrincipalId
    botRoles: keyVaultRoles
    teamsWebhookSecretName: teamsWebhookSecretName
    teamsWebhookUrl: teamsWebhookUrl
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'idwarden-function-app'
  scope: rg
  params: {
    name: 'func-idwarden-${resourceToken}'
    planName: 'plan-idwarden-${resourceToken}'
    location: location
    tags: tags
    botIdentityId: identities.outputs.botId
    botClientId: identities.outputs.botClientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    teamsWebhookSecretName: teamsWebhookSecretName
    teamsAlerts: !empty(teamsWebhookUrl)
    activityEventsAlwaysReady: activityEventsAlwaysReady
  }
}

// Under a management group the postprovision hook assigns the target roles there instead (management-group.bicep).
module targetRoleAssignments 'modules/bot-azure-roles.bicep' = [for subscriptionId in (empty(targetManagementGroupId) ? governedSubscriptionIds : []): {
  name: take('idwarden-bot-roles-${environmentName}', 64)
  scope: subscription(subscriptionId)
  params: {
    botPrincipalId: identities.outputs.botPrincipalId
    roles: targetRoles
  }
}]

module graphPermissions 'modules/bot-graph-permissions.bicep' = if (grantGraphPermissions) {
  name: 'idwarden-graph-permissions'
  scope: rg
  params: {
    botPrincipalId: identities.outputs.botPrincipalId
    appRoles: graphAppRoles
  }
}

module eventSources 'modules/event-source.bicep' = [for subscriptionId in watchedSubscriptionIds: {
  name: take('idwarden-events-${environmentName}', 64)
  scope: subscription(subscriptionId)
  params: {
    resourceGroupName: 'rg-${environmentName}-events'
    location: location
    tags: tags
    functionResourceId: '${functionApp.outputs.id}/functions/activityEvents'
    deployEventSubscription: deployEventSubscriptions
    deadLetterStorageAccountId: storage.outputs.id
    deadLetterContainerName: storage.outputs.deadLetterContainerName
    deadLetterIdentityId: identities.outputs.eventGridId
  }
}]

// azd writes these into the environment (.azure/<env>/.env); the hooks and the README commands read them. No secrets.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output IDWARDEN_BOT_PRINCIPAL_ID string = identities.outputs.botPrincipalId
output IDWARDEN_BOT_CLIENT_ID string = identities.outputs.botClientId
output IDWARDEN_KEY_VAULT_NAME string = keyVault.outputs.name
output IDWARDEN_TARGET_MANAGEMENT_GROUP string = targetManagementGroupId
output IDWARDEN_WATCHED_SUBSCRIPTION_IDS string = join(watchedSubscriptionIds, ',')
