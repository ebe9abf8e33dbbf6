// The bot's Microsoft Graph application permissions (infra/data/bot-permissions.json, graphAppRoles), granted
// through the Microsoft Graph Bicep extension. The deployer needs AppRoleAssignment.ReadWrite.All and
// Application.Read.All (Privileged Role Administrator or Global Administrator); without them, deploy with
// grantGraphPermissions=false and run infra/scripts/grant-graph-permissions.sh as someone who has them.
extension microsoftGraphV1

@description('Object id of the bot\'s identity (its service principal).')
param botPrincipalId string

@description('The app roles to grant: the file\'s Graph grants this deployment enables (value and id).')
param appRoles array

resource microsoftGraph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: '00000003-0000-0000-c000-000000000000'
}

resource grants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [for appRole in appRoles: {
  principalId: botPrincipalId
  resourceId: microsoftGraph.id
  appRoleId: appRole.id
}]
