// Optional (MCP_AUTH_MODE=entra, the default): the Entra ID app registration that built-in
// authentication validates tokens for. It exposes the `user_impersonation` scope, pre-
// authorizes trusted clients (VS Code by default) so they get no consent prompt, and lets
// the app's managed identity act as its credential (federated identity credential), so no
// client secret exists anywhere.
// Uses the Microsoft Graph Bicep extension (declared in ../bicepconfig.json).
extension microsoftGraphV1

param appUniqueName string
param appDisplayName string
@description('Host name of the function app, for the sign-in redirect URI.')
param functionAppHostName string
param preAuthorizedClientIds array
@description('Principal (object) id of the managed identity that acts as the app credential.')
param managedIdentityPrincipalId string
param serviceManagementReference string
@description('Audience of the managed-identity token this app registration accepts as its credential. Empty: api://AzureADTokenExchange.')
param tokenExchangeAudience string

var scopeName = 'user_impersonation'
var scopeId = guid(appUniqueName, scopeName)
var identifierUri = 'api://${appUniqueName}-${uniqueString(subscription().id, resourceGroup().id, appUniqueName)}'

resource app 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: appUniqueName
  displayName: appDisplayName
  signInAudience: 'AzureADMyOrg'
  serviceManagementReference: empty(serviceManagementReference) ? null : serviceManagementReference
  identifierUris: [
    identifierUri
  ]
  api: {
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [
      {
        id: scopeId
        value: scopeName
        type: 'User'
        isEnabled: true
        adminConsentDisplayName: 'Use the MCP server'
        adminConsentDescription: 'Allows the client to call the MCP server\'s tools as the signed-in user.'
        userConsentDisplayName: 'Use the MCP server'
        userConsentDescription: 'Allows the client to call the MCP server\'s tools as you.'
      }
    ]
    preAuthorizedApplications: [
      for clientId in preAuthorizedClientIds: {
        appId: clientId
        delegatedPermissionIds: [
          scopeId
        ]
      }
    ]
  }
  web: {
    redirectUris: [
      'https://${functionAppHostName}/.auth/login/aad/callback'
    ]
    implicitGrantSettings: {
      enableIdTokenIssuance: true
      enableAccessTokenIssuance: false
    }
  }
  requiredResourceAccess: [
    {
      // Microsoft Graph: User.Read (delegated), for the sign-in flow.
      resourceAppId: '00000003-0000-0000-c000-000000000000'
      resourceAccess: [
        {
          id: 'e1fe6dd8-ba31-4d61-89e7-88639da4683d'
          type: 'Scope'
        }
      ]
    }
  ]
}

resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: app.appId
}

resource managedIdentityCredential 'Microsoft.Graph/applications/federatedIdentityCredentials@v1.0' = {
  name: '${app.uniqueName}/mcp-function-managed-identity'
  description: 'Lets the function app\'s managed identity act as this app registration\'s credential'
  audiences: [
    empty(tokenExchangeAudience) ? 'api://AzureADTokenExchange' : tokenExchangeAudience
  ]
  issuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
  subject: managedIdentityPrincipalId
}

output clientId string = app.appId
output identifierUri string = identifierUri
