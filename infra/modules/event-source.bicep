// One watched subscription: a resource group there for its Event Grid system topic (a system topic lives in
// the subscription it watches), and the topic with its event subscription to the bot.
targetScope = 'subscription'

@description('Resource group to create in the watched subscription for the system topic.')
param resourceGroupName string

@description('Region of that resource group (the topic itself is global).')
param location string

@description('Tags for every resource.')
param tags object

@description('Resource id of the activityEvents function (<function app id>/functions/activityEvents).')
param functionResourceId string

@description('Whether to create the event subscription (the function must exist first).')
param deployEventSubscription bool

@description('Storage account for events Event Grid could not deliver.')
param deadLetterStorageAccountId string

@description('Blob container for those events.')
param deadLetterContainerName string

@description('Resource id of the identity Event Grid dead-letters with.')
param deadLetterIdentityId string

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: location
  tags: tags
}

module topic 'event-topic.bicep' = {
  name: 'idwarden-event-topic'
  scope: rg
  params: {
    topicName: 'idwarden-${subscription().subscriptionId}'
    tags: tags
    functionResourceId: functionResourceId
    deployEventSubscription: deployEventSubscription
    deadLetterStorageAccountId: deadLetterStorageAccountId
    deadLetterContainerName: deadLetterContainerName
    deadLetterIdentityId: deadLetterIdentityId
  }
}
