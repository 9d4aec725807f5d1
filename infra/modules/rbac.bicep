// Role assignments, each the least its holder needs: the app's identity reads and writes
// blobs and publishes telemetry; the person running azd (optional) reads blobs.
param storageAccountName string
param applicationInsightsName string
param identityPrincipalId string
@description('Object id of the user running azd; empty to skip.')
param principalId string
param principalType string

// Built-in role definition ids.
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var storageBlobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// The app's identity, on the whole account: read, write and delete blobs and create
// containers. The Functions host needs that through AzureWebJobsStorage (it creates its
// azure-webjobs-* containers for host keys and locks), Flex Consumption's deployment writes
// the package into the app-package container with this identity, and the app's tools may
// use the account too. Storage Blob Data Owner would add only ACL and ownership
// management, which nothing here uses.
//
// The identity can therefore rewrite its own deployment package, and no role split avoids
// that: the platform writes the package with the identity the app names for its deployment
// storage, an identity must be assigned to the app to be named, and code running in the app
// can get tokens for every identity assigned to it. The package is guarded by the app's code
// not writing there, and by the account accepting Entra ID only (storage.bicep).
resource appBlobContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityPrincipalId, storageBlobDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The app's identity, on Application Insights: the telemetry the host sends with Entra ID
// authentication (APPLICATIONINSIGHTS_AUTHENTICATION_STRING), since local auth is off.
resource appMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identityPrincipalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The person running azd (optional): read blobs, to look at what the app stored and at the
// deployed package. Changing them is the app's and azd's business.
resource userBlobReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(storage.id, principalId, storageBlobDataReader)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataReader)
    principalId: principalId
    principalType: principalType
  }
}
