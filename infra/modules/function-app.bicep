// The Functions app on the Flex Consumption plan (Linux, Node 22), running as the bot's user-assigned identity
// for everything: its host storage, the deployment package, Key Vault references and every Azure and Graph call.

@description('Function app name (globally unique).')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Region of the plan and the app; it must offer Flex Consumption.')
param location string

@description('Tags for every resource; the app also gets azd-service-name so `azd deploy` finds it.')
param tags object

@description('Resource id of the bot\'s user-assigned identity.')
param botIdentityId string

@description('Client id of the bot\'s user-assigned identity (AZURE_CLIENT_ID).')
param botClientId string

@description('The bot\'s storage account (host storage, deployment package, queue, tables).')
param storageAccountName string

@description('Blob container holding the deployment package.')
param deploymentContainerName string

@description('Application Insights the app exports its OpenTelemetry logs and traces to.')
param applicationInsightsName string

@description('The bot\'s key vault.')
param keyVaultName string

@description('Name of the key-vault secret holding the Teams webhook URL.')
param teamsWebhookSecretName string

@description('Whether a Teams webhook URL was given (and so stored in the vault).')
param teamsAlerts bool

@minValue(0)
@description('Always-ready instances for the activityEvents function.')
param activityEventsAlwaysReady int

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'idwarden' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${botIdentityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: botIdentityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: botIdentityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: 40
        instanceMemoryMB: 2048
        alwaysReady: activityEventsAlwaysReady > 0 ? [
          {
            name: 'function:activityEvents'
            instanceCount: activityEventsAlwaysReady
          }
        ] : []
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  // Flex Consumption sets the runtime itself: FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION must not be set.
  resource appSettings 'config' = {
    name: 'appsettings'
    properties: union(
      {
        // The host's storage, identity-based; src/state reads the same table and queue endpoints.
        AzureWebJobsStorage__credential: 'managedidentity'
        AzureWebJobsStorage__clientId: botClientId
        AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
        AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
        AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
        APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
        // src/azure/config.ts: the bot authenticates as its user-assigned identity, never with a secret.
        AZURE_CLIENT_ID: botClientId
        IDWARDEN_CREDENTIAL: 'managed-identity'
        IDWARDEN_KEY_VAULT_URI: vault.properties.vaultUri
      },
      teamsAlerts ? { TEAMS_WEBHOOK_URL: '@Microsoft.KeyVault(VaultName=${vault.name};SecretName=${teamsWebhookSecretName})' } : {}
    )
  }
}

output name string = site.name
output id string = site.id
