// This app's own part of infra/: the blob containers and the app settings that only our
// tools read. Everything else in infra/ is generic: scripts/scaffold.sh writes the same
// main.bicep and modules/ for any rmcp server, with an app.bicep of its own in place of
// this one (docs/host-your-own.md). main.bicep imports the two functions below and calls
// them with what the deployment knows (`context`) and with its `appParameters`, which
// main.parameters.json fills from our azd variables (NWS_CONTACT, SNIPPETS_SCOPE,
// MCP_REQUEST_STATE_KEY).

// The container the snippet tools keep their snippets in (SNIPPETS_CONTAINER).
func snippetsContainer() string => 'snippets'

@export()
@description('Blob containers the app uses, created in its storage account next to the deployment package\'s.')
func containers() array => [
  snippetsContainer()
]

// `context`: authMode (entra, key or none), generatedSecret (a random secret made at each
// provision), graphEndpoint (Microsoft Graph of the deployment's cloud) and
// tokenExchangeAudience (empty: the public cloud's). `parameters`: main.bicep's appParameters.
@export()
@description('The app settings of our tools. The platform\'s own settings come after these and win.')
func settings(context object, parameters object) object => union(toolSettings(context, parameters), contactSettings(parameters), tokenExchangeSettings(context))

func toolSettings(context object, parameters object) object => {
  SNIPPETS_CONTAINER: snippetsContainer()
  // Private snippets need a signed-in user, which only built-in authentication provides.
  SNIPPETS_SCOPE: empty(parameters.snippetsScope) ? (context.authMode == 'entra' ? 'user' : 'shared') : parameters.snippetsScope
  // The key that seals requestState: every instance must hold the same one, so a client's
  // retry after a confirmation may land on any of them. Set in the azd environment it
  // survives provisions; generated, confirmations asked before a provision are asked again.
  MCP_REQUEST_STATE_KEY: empty(parameters.requestStateKey) ? context.generatedSecret : parameters.requestStateKey
  // get_current_user's Graph profile: the cloud's own Graph, so a sovereign-cloud
  // deployment never sends its tokens to the public cloud's.
  GRAPH_API_BASE_URL: context.graphEndpoint
}

// The contact the weather tools send to the National Weather Service; unset, the app's URL.
func contactSettings(parameters object) object => empty(parameters.nwsContact) ? {} : { NWS_CONTACT: parameters.nwsContact }

// Sovereign clouds: the audience of the managed-identity token in get_current_user's
// on-behalf-of exchange (entra mode only).
func tokenExchangeSettings(context object) object => context.authMode == 'entra' && !empty(context.tokenExchangeAudience) ? { TOKEN_EXCHANGE_AUDIENCE: context.tokenExchangeAudience } : {}
