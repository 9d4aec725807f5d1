// This app's own part of infra/: the blob containers it uses and its app settings.
// Everything else in infra/ is generic, the same for any rmcp server deployed with
// rmcp-functions: main.bicep imports the two functions below.
//
// To give the server a setting, map an azd variable onto it in main.parameters.json's
// `appParameters` (e.g. "MY_SETTING": "${MY_SETTING=default}"): `settings` passes them on as
// app settings as they are. `context` holds what the deployment knows, for settings that
// depend on it: authMode (entra, key or none), generatedSecret (a random secret made at
// each provision), graphEndpoint (Microsoft Graph of the deployment's cloud) and
// tokenExchangeAudience.

@export()
@description('Blob containers the app uses, created in its storage account next to the deployment package\'s.')
func containers() array => []

@export()
@description('The app\'s own settings. The platform\'s own settings come after these and win.')
func settings(context object, parameters object) object => parameters
