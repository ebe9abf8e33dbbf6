// The bot's key vault (RBAC mode): secrets the app reads through its identity, never app-setting plain text.

@description('Key vault name (globally unique, 3-24 characters).')
param name string

@description('Region of the vault.')
param location string

@description('Tags for every resource.')
param tags object

@description('Object id of the bot\'s identity.')
param botPrincipalId string

@description('The bot\'s roles on this vault (infra/data/bot-permissions.json, scope "keyVault").')
param botRoles array

@description('Name of the secret holding the Teams webhook URL.')
param teamsWebhookSecretName string

@secure()
@description('Teams Workflows webhook URL; empty: no secret is stored.')
param teamsWebhookUrl string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
  }
}

resource teamsWebhook 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(teamsWebhookUrl)) {
  parent: vault
  name: teamsWebhookSecretName
  properties: {
    value: teamsWebhookUrl
    contentType: 'Teams Workflows webhook URL'
  }
}

resource botAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in botRoles: {
  name: guid(vault.id, botPrincipalId, role.roleDefinitionId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.roleDefinitionId)
    principalId: botPrincipalId
    principalType: 'ServicePrincipal'
    description: 'idwarden ${role.name}'
  }
}]

output name string = vault.name
