// The bot's roles on one governed subscription (infra/data/bot-permissions.json, scope "target").
// management-group.bicep makes the same assignments at a management group.
targetScope = 'subscription'

@description('Object id of the bot\'s identity.')
param botPrincipalId string

@description('The grants to make: the file\'s target-scope roles this deployment enables.')
param roles array

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in roles: {
  name: guid(subscription().id, botPrincipalId, role.roleDefinitionId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.roleDefinitionId)
    principalId: botPrincipalId
    principalType: 'ServicePrincipal'
    description: 'idwarden ${role.name}'
    // The ABAC condition, with the bot's own object id where the file says BOT_PRINCIPAL_ID; version only with a condition.
    condition: role.condition == null ? null : replace(role.condition, 'BOT_PRINCIPAL_ID', botPrincipalId)
    conditionVersion: role.condition == null ? null : '2.0'
  }
}]
