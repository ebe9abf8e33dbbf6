// The bot's storage account: the Functions host (identity-based AzureWebJobsStorage and the Flex Consumption
// deployment package), the scan queue, the state tables and Event Grid's dead-letter container.
// Shared keys are off: every client authenticates with Microsoft Entra ID.

@description('Storage account name (globally unique, 3-24 lower-case letters and digits).')
param name string

@description('Region of the account.')
param location string

@description('Tags for every resource.')
param tags object

@description('Object id of the bot\'s identity.')
param botPrincipalId string

@description('The bot\'s roles on this account (infra/data/bot-permissions.json, scope "storage").')
param botRoles array

@description('Object id of the identity Event Grid dead-letters with.')
param deadLetterWriterPrincipalId string

var deploymentContainerName = 'app-package'
var deadLetterContainerName = 'eventgrid-deadletter'
// The sweep fans out through scan-requests; the Functions host moves failed messages to <queue>-poison.
var queueNames = ['scan-requests', 'scan-requests-poison']
// src/state/state-store.ts with its default prefix: findings, the audit log, the event ledger (events and the
// objects they touched) and sweep runs. The code also creates them when missing.
var tableNames = ['idwardenFindings', 'idwardenAudit', 'idwardenEvents', 'idwardenObjects', 'idwardenRuns']
var storageBlobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
    }

    resource deadLetterContainer 'containers' = {
      name: deadLetterContainerName
    }
  }

  resource queueService 'queueServices' = {
    name: 'default'

    resource queues 'queues' = [for queueName in queueNames: {
      name: queueName
    }]
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource tables 'tables' = [for tableName in tableNames: {
      name: tableName
    }]
  }
}

resource botAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in botRoles: {
  name: guid(account.id, botPrincipalId, role.roleDefinitionId)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.roleDefinitionId)
    principalId: botPrincipalId
    principalType: 'ServicePrincipal'
    description: 'idwarden ${role.name}'
  }
}]

// Event Grid writes events it could not deliver here, as its own identity: blob write on this container only.
resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account::blobService::deadLetterContainer.id, deadLetterWriterPrincipalId, storageBlobDataContributorRoleId)
  scope: account::blobService::deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributorRoleId)
    principalId: deadLetterWriterPrincipalId
    principalType: 'ServicePrincipal'
    description: 'idwarden Event Grid dead-lettering'
  }
}

output name string = account.name
output id string = account.id
output deploymentContainerName string = deploymentContainerName
output deadLetterContainerName string = deadLetterContainerName
