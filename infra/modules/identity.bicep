// The user-assigned identity the function app runs as: it reads the deployment package,
// reaches Blob Storage for the host and the tools, and sends telemetry, all without keys
// or secrets.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
