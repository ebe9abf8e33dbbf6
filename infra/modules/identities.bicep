// The bot's own identity, stable across redeploys (same name, same principal) so its role assignments and
// Graph app roles survive them; and the identity Event Grid dead-letters with, which can write nothing else.

@description('Region of the identities.')
param location string

@description('Tags for every resource.')
param tags object

@description('Unique suffix for resource names.')
param resourceToken string

resource bot 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-idwarden-${resourceToken}'
  location: location
  tags: tags
}

resource eventGrid 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-idwarden-eventgrid-${resourceToken}'
  location: location
  tags: tags
}

output botId string = bot.id
output botPrincipalId string = bot.properties.principalId
output botClientId string = bot.properties.clientId
output eventGridId string = eventGrid.id
output eventGridPrincipalId string = eventGrid.properties.principalId
