// Everything `azd up` provisions for the MCP server: one resource group holding a Flex
// Consumption function app (runtime `custom` by default, the server's static Linux binary), its storage,
// identity and monitoring, and optionally a virtual network and Entra ID sign-in.
// Parameters come from main.parameters.json, which maps azd environment variables
// (`azd env set NAME value`) onto them; docs/deploy.md ("Choices") lists them.
//
// This file and modules/ are generic, the same for any rmcp server (scripts/scaffold.sh
// writes them as they are here): what belongs to one app (its containers and settings) is
// in app.bicep, whose two functions this file imports, and in the `appParameters` entry of
// main.parameters.json.
targetScope = 'subscription'

import { containers as appContainers, settings as appSettings } from 'app.bicep'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group and seeds the unique suffix of every resource name.')
param environmentName string

@minLength(1)
@description('Azure region for every resource. It must offer Flex Consumption: az functionapp list-flexconsumption-locations')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the user (or service principal) running azd. When set, it can read the storage account\'s blobs, to look at what the app stored and at the deployed package. Leave empty to skip.')
param principalId string = ''

@description('Whether principalId is a user or a service principal (CI).')
@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('''How callers authenticate:
entra = built-in authentication (Easy Auth) with an Entra ID app registration, OAuth Protected Resource Metadata, 401 without a token;
key = a function key in the x-functions-key header;
none = no authentication at all (anyone who knows the URL can call the tools).''')
@allowed([
  'entra'
  'key'
  'none'
])
param authMode string = 'entra'

@description('Comma-separated client ids pre-authorized for the user_impersonation scope (no consent prompt), and allowed to call the app. Default: VS Code.')
param preAuthorizedClientIds string = 'aebc6443-996d-45c2-90f0-388ff96faa56'

@description('Comma-separated client ids of other applications allowed to call the app with their own token (for example an Azure AI Foundry project managed identity).')
param allowedClientAppIds string = ''

@description('Service management reference some tenants require on app registrations. Leave empty if yours does not.')
param serviceManagementReference string = ''

@description('Put the app in a virtual network and reach storage through a private endpoint only.')
param vnetEnabled bool = false

// 512 MB is the smallest Flex instance size (the others are 2048 and 4096). The handler is a
// single static binary that idles at a few MB of memory, so a bigger instance would only cost
// more per second; raise it if you add memory-hungry tools.
@description('Memory per instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 512

@description('Upper bound on instances when scaling out (a cost limit).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

// Flex Consumption adds an instance when the HTTP requests in flight on each instance reach
// this number. Left unset, Flex picks it from the instance size (4 at 512 MB, 16 at 2048 MB,
// 32 at 4096 MB), a default sized for language workers. This binary holds thousands of calls
// in flight at about 100 KB each (bench/concurrency.sh), so a burst of slow upstream calls
// needs fewer instances, and fewer cold starts. The default and its safety margin come from
// that measurement (docs/performance.md, "Per-instance concurrency"); 1 to 1000 is the range Azure's tooling accepts.
@description('HTTP requests in flight per instance before Flex Consumption adds an instance (perInstanceConcurrency).')
@minValue(1)
@maxValue(1000)
param httpConcurrency int = 250

@description('Instances kept warm for HTTP requests (billed even when idle). 0 = scale to zero, with a cold start on the first request.')
@minValue(0)
param alwaysReadyInstances int = 0

@description('Audience of the managed-identity token the app presents to Entra ID in the on-behalf-of exchange (the Graph profile of get_current_user), and of the federated credential that trusts it. Empty: api://AzureADTokenExchange, the public cloud\'s; sovereign clouds use their own.')
param tokenExchangeAudience string = ''

// The runtime stack is a switch because no Microsoft sample has shown the `custom` stack
// with the MCP preview: they all run on a language stack, and so does the one public Rust
// custom handler on Flex (on `node`). The mcp-custom-handler profile in host.json makes
// the Functions host run our binary as a custom handler on either stack (docs/deploy.md,
// "Runtime stack"); the smoke check names this switch when the handler never starts.
@description('Flex Consumption runtime stack. custom: the Custom Handler stack (default). node: the fallback if the handler never starts on custom; the binary runs the same either way.')
@allowed([
  'custom'
  'node'
])
param flexRuntime string = 'custom'

@description('Version of flexRuntime. Empty: the version Flex Consumption offers for it (flexRuntimeVersions below).')
param flexRuntimeVersion string = ''

@secure()
@description('The app\'s own parameters, which app.bicep turns into app settings: main.parameters.json maps azd variables onto its properties. Secure, since a setting may hold a secret.')
param appParameters object = {}

// A secret made anew at each provision from two GUIDs (244 random bits), for an app setting
// that needs one when the azd environment sets none (app.bicep: context.generatedSecret).
@secure()
@description('Leave its default: part of the generated secret.')
param generatedKeyPartA string = newGuid()
@secure()
@description('Leave its default: part of the generated secret.')
param generatedKeyPartB string = newGuid()

@description('Extra Host header values the MCP endpoint accepts (the app setting MCP_ALLOWED_HOSTS), comma-separated, e.g. a custom domain. Empty: only the app\'s own host name and loopback.')
param allowedHosts string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-mcp-${resourceToken}'
var deploymentContainerName = 'app-package'
var entraEnabled = authMode == 'entra'
var preAuthorizedClientIdList = filter(map(split(preAuthorizedClientIds, ','), id => trim(id)), id => !empty(id))
var allowedClientAppIdList = filter(map(split(allowedClientAppIds, ','), id => trim(id)), id => !empty(id))
// The version Flex Consumption offers for each stack: the FC1 runtime of the Functions
// stacks API (custom 1.0; node 22, the default Node.js on Flex, supported to 2027-04-30).
var flexRuntimeVersions = {
  custom: '1.0'
  node: '22'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-mcp-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    containerNames: concat([deploymentContainerName], appContainers())
    vnetEnabled: vnetEnabled
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    identityPrincipalId: identity.outputs.principalId
    principalId: principalId
    principalType: principalType
  }
}

module network 'modules/network.bicep' = if (vnetEnabled) {
  name: 'network'
  scope: rg
  params: {
    vnetName: 'vnet-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
  }
}

// The app registration must exist before the site, whose sign-in settings name it; its
// redirect URI uses the host name the site will get.
module entra 'modules/entra.bicep' = if (entraEnabled) {
  name: 'entra'
  scope: rg
  params: {
    appUniqueName: '${functionAppName}-app'
    appDisplayName: 'MCP server ${functionAppName}'
    functionAppHostName: '${functionAppName}.azurewebsites.net'
    preAuthorizedClientIds: preAuthorizedClientIdList
    managedIdentityPrincipalId: identity.outputs.principalId
    serviceManagementReference: serviceManagementReference
    tokenExchangeAudience: tokenExchangeAudience
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  dependsOn: [
    rbac
  ]
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReadyInstances: alwaysReadyInstances
    httpConcurrency: httpConcurrency
    // What the deployment knows, for app.bicep's settings (see there).
    appSettings: appSettings({
      authMode: authMode
      generatedSecret: '${generatedKeyPartA}${generatedKeyPartB}'
      graphEndpoint: environment().graph
      tokenExchangeAudience: tokenExchangeAudience
    }, appParameters)
    allowedHosts: allowedHosts
    runtimeName: flexRuntime
    runtimeVersion: empty(flexRuntimeVersion) ? flexRuntimeVersions[flexRuntime] : flexRuntimeVersion
    subnetId: vnetEnabled ? network.outputs.appSubnetId : ''
    authMode: authMode
    entraClientId: entraEnabled ? entra.outputs.clientId : ''
    entraIdentifierUri: entraEnabled ? entra.outputs.identifierUri : ''
    allowedClientAppIds: union(preAuthorizedClientIdList, allowedClientAppIdList)
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_MCP_NAME string = functionApp.outputs.name
output SERVICE_MCP_DEFAULT_HOSTNAME string = functionApp.outputs.defaultHostName
output MCP_URL string = 'https://${functionApp.outputs.defaultHostName}/mcp'
output MCP_AUTH_MODE string = authMode
output ENTRA_APPLICATION_ID string = entraEnabled ? entra.outputs.clientId : ''
output ENTRA_IDENTIFIER_URI string = entraEnabled ? entra.outputs.identifierUri : ''
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
// The smoke check (scripts/smoke.sh) names it in the log query of its diagnoses.
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
