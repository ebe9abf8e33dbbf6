// The bot's target roles at a management group (infra/data/bot-permissions.json, scope "target"): what
// modules/bot-azure-roles.bicep assigns per subscription. A subscription deployment (main.bicep) cannot assign
// at a management group, so the azd postprovision hook deploys this file:
//   az deployment mg create --management-group-id <id> --template-file infra/management-group.bicep ...
targetScope = 'managementGroup'

@description('Object id of the bot\'s identity (azd output IDWARDEN_BOT_PRINCIPAL_ID).')
param botPrincipalId string

@description('As in main.bicep: grant what remediation needs.')
param enableRemediation bool = false

@description('As in main.bicep: grant what deleting unattached identities needs.')
param enableIdentityDeletion bool = false

var botPermissions = loadJsonContent('data/bot-permissions.json')
var featureFlags = {
  always: true
  enableRemediation: enableRemediation
  enableIdentityDeletion: enableIdentityDeletion
}
var targetRoles = filter(filter(botPermissions.azureRoles, role => role.scope == 'target'), role => featureFlags[role.enabledBy])

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in targetRoles: {
  name: guid(managementGroup().id, botPrincipalId, role.roleDefinitionId)
  properties: {
    roleDefinitionId: tenantResourceId('Microsoft.Authorization/roleDefinitions', role.roleDefinitionId)
    principalId: botPrincipalId
    principalType: 'ServicePrincipal'
    description: 'idwarden ${role.name}'
    condition: role.condition == null ? null : replace(role.condition, 'BOT_PRINCIPAL_ID', botPrincipalId)
    conditionVersion: role.condition == null ? null : '2.0'
  }
}]
