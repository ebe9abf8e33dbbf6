// Log Analytics and workspace-based Application Insights. The app exports OpenTelemetry to it
// (host.json telemetryMode OpenTelemetry + APPLICATIONINSIGHTS_CONNECTION_STRING, set in function-app.bicep).

@description('Region of the monitoring resources.')
param location string

@description('Tags for every resource.')
param tags object

@description('Unique suffix for resource names.')
param resourceToken string

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-idwarden-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-idwarden-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
  }
}

// The connection string is read by function-app.bicep through an `existing` reference, never passed as an output.
output applicationInsightsName string = applicationInsights.name
