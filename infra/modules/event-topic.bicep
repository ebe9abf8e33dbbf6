// The Event Grid system topic of one Azure subscription (its Azure Resource Manager events) and the event
// subscription that delivers the operations the bot processes to its activityEvents function. The filter is
// built from infra/data/watched-operations.json, the same file the handler reads (src/events/watched-operations.ts).

@description('System topic name; Azure allows one Microsoft.Resources.Subscriptions topic per subscription.')
param topicName string

@description('Tags for every resource.')
param tags object

@description('Resource id of the activityEvents function.')
param functionResourceId string

@description('Whether to create the event subscription (the function must exist first).')
param deployEventSubscription bool

@description('Storage account for events Event Grid could not deliver.')
param deadLetterStorageAccountId string

@description('Blob container for those events.')
param deadLetterContainerName string

@description('Resource id of the identity Event Grid dead-letters with.')
param deadLetterIdentityId string

var watched = loadJsonContent('../data/watched-operations.json')
// One advanced-filter value per operation: Event Grid allows 25 in total, which the file's loader enforces.
var operationNames = map(watched.operations, operation => operation.operationName)
var eventTypes = reduce(flatten(map(watched.operations, operation => operation.eventTypes)), [], (types, type) => contains(types, type) ? types : concat(types, [type]))

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: topicName
  location: 'global'
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${deadLetterIdentityId}': {}
    }
  }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

resource activityEvents 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (deployEventSubscription) {
  parent: topic
  name: 'idwarden-activity-events'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: functionResourceId
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: eventTypes
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.operationName'
          values: operationNames
        }
      ]
    }
    // Event Grid's maximum: an event is retried for up to a day, then dead-lettered, never dropped.
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: deadLetterIdentityId
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}
