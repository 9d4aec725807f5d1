// The Flex Consumption plan and the function app that runs the MCP server.
// The app runs the `custom` runtime stack (or `node`, the fallback): on either, the
// Functions host starts the server's binary (named in host.json) and proxies every HTTP
// request to it (the mcp-custom-handler profile).
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int
param maximumInstanceCount int
param alwaysReadyInstances int
@description('HTTP requests in flight per instance before the platform adds an instance.')
@minValue(1)
@maxValue(1000)
param httpConcurrency int
@secure()
@description('The app\'s own settings (app.bicep); the platform\'s below win over them.')
param appSettings object
@description('MCP_ALLOWED_HOSTS, extra Host values the MCP endpoint accepts; empty leaves it unset.')
param allowedHosts string
@description('Flex runtime stack: custom, or node (the fallback; main.bicep, flexRuntime).')
@allowed([
  'custom'
  'node'
])
param runtimeName string
@description('Version of runtimeName that Flex offers (custom 1.0, node 22).')
param runtimeVersion string
@description('Subnet for virtual network integration; empty for none.')
param subnetId string
@allowed([
  'entra'
  'key'
  'none'
])
param authMode string
param entraClientId string
param entraIdentifierUri string
@description('Client ids whose tokens built-in authentication accepts, besides the app itself.')
param allowedClientAppIds array

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

// Settings every mode shares. No FUNCTIONS_WORKER_RUNTIME (Flex rejects it: the runtime is
// functionAppConfig.runtime below), and none of the content-share / run-from-package /
// build settings of the older plans.
var baseSettings = {
  // Required in Azure for the mcp-custom-handler profile (not locally).
  AzureWebJobsFeatureFlags: 'EnableMcpCustomHandlerPreview'
  // The host's storage connection, by managed identity. The app's tools may use it too.
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // Entra ID of the deployment's cloud, where Azure Identity libraries (and our on-behalf-of
  // exchange) get tokens: a sovereign-cloud deployment never sends them to the public cloud.
  AZURE_AUTHORITY_HOST: environment().authentication.loginEndpoint
}

// Key mode: the host demands a function key (x-functions-key header) on every request.
// This overrides host.json's customHandler.http.defaultAuthorizationLevel (anonymous), which
// the other modes need: with built-in auth, a key check on top would turn signed-in calls
// into 401s.
var keySettings = authMode == 'key'
  ? {
      AzureFunctionsJobHost__customHandler__http__defaultAuthorizationLevel: 'function'
    }
  : {}

// Entra mode: OAuth Protected Resource Metadata (/.well-known/oauth-protected-resource)
// served by built-in auth, so MCP clients discover where to sign in and for which scope.
var entraSettings = authMode == 'entra'
  ? {
      WEBSITE_AUTH_PRM_DEFAULT_WITH_SCOPES: '${entraIdentifierUri}/user_impersonation'
      WEBSITE_AUTH_AAD_ALLOWED_TENANTS: tenant().tenantId
      // The managed identity is the app registration's credential (federated identity
      // credential), named by clientSecretSettingName below. The server uses it too, for
      // the on-behalf-of exchange of get_current_user; App Service itself sets the other
      // settings that exchange reads (WEBSITE_AUTH_ENABLED, WEBSITE_AUTH_CLIENT_ID,
      // IDENTITY_ENDPOINT, IDENTITY_HEADER).
      OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: identityClientId
    }
  : {}

var hostSettings = empty(allowedHosts) ? {} : { MCP_ALLOWED_HOSTS: allowedHosts }

// The app's own first, so a setting the platform needs can never be overridden by one of them.
var settings = union(appSettings, baseSettings, hostSettings, keySettings, entraSettings)

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd finds the app to deploy the `mcp` service (azure.yaml) to by this tag.
  tags: union(tags, {
    'azd-service-name': 'mcp'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: [
        for setting in items(settings): {
          name: setting.key
          value: setting.value
        }
      ]
    }
    functionAppConfig: {
      // azd deploys the zip here; the app reads it with its managed identity.
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        // The MCP endpoint is an HTTP function, so warm instances belong to the `http` group.
        alwaysReady: alwaysReadyInstances > 0
          ? [
              {
                name: 'http'
                instanceCount: alwaysReadyInstances
              }
            ]
          : []
        // Every HTTP function scales as one group; this is its per-instance concurrency.
        triggers: {
          http: {
            perInstanceConcurrency: httpConcurrency
          }
        }
      }
      runtime: {
        name: runtimeName
        version: runtimeVersion
      }
    }
  }
}

// Built-in authentication (Easy Auth v2): every request needs an Entra ID token for the app
// registration; without one the answer is 401, with a WWW-Authenticate header pointing at
// the Protected Resource Metadata.
resource auth 'Microsoft.Web/sites/config@2024-04-01' = if (authMode == 'entra') {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
      runtimeVersion: '~1'
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      redirectToProvider: 'azureactivedirectory'
    }
    httpSettings: {
      requireHttps: true
      routes: {
        apiPrefix: '/.auth'
      }
      forwardProxy: {
        convention: 'NoProxy'
      }
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
          clientId: entraClientId
          clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
        }
        login: {
          loginParameters: [
            'scope=openid profile email User.Read'
          ]
        }
        validation: {
          allowedAudiences: [
            entraIdentifierUri
          ]
          defaultAuthorizationPolicy: {
            allowedApplications: union([entraClientId], allowedClientAppIds)
          }
        }
      }
    }
    // Off: the token store keeps each signed-in user's tokens for /.auth/me and the
    // X-MS-TOKEN-* headers, and nothing reads those (the on-behalf-of exchange uses the
    // caller's bearer token). Kept tokens would only be more to protect.
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
