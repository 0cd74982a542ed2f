package provider

import (
	"sort"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// environment is a Microsoft cloud: where Graph is, who issues its tokens,
// and what its v1.0 API lacks (national cloud deployments, per Microsoft's v1.0 metadata of each cloud).
type environment struct {
	graphRoot string
	authority cloud.Configuration
	scope     string
	// hasResume is false where v1.0 has no resume action (US Gov, China).
	hasResume bool
	// hasJustification is false where v1.0 requests have no justification
	// property (US Gov, China): Graph rejects a request that sends one.
	hasJustification bool
}

var environments = map[string]environment{
	"global":         {graphRoot: "https://graph.microsoft.com", authority: cloud.AzurePublic, scope: "https://graph.microsoft.com/.default", hasResume: true, hasJustification: true},
	"usgovernmentl4": {graphRoot: "https://graph.microsoft.us", authority: cloud.AzureGovernment, scope: "https://graph.microsoft.us/.default"},
	"usgovernmentl5": {graphRoot: "https://dod-graph.microsoft.us", authority: cloud.AzureGovernment, scope: "https://dod-graph.microsoft.us/.default"},
	// The azuread provider's aliases.
	"public":       {graphRoot: "https://graph.microsoft.com", authority: cloud.AzurePublic, scope: "https://graph.microsoft.com/.default", hasResume: true, hasJustification: true},
	"usgovernment": {graphRoot: "https://graph.microsoft.us", authority: cloud.AzureGovernment, scope: "https://graph.microsoft.us/.default"},
	"china":        {graphRoot: "https://microsoftgraph.chinacloudapi.cn", authority: cloud.AzureChina, scope: "https://microsoftgraph.chinacloudapi.cn/.default"},
}

func environmentNames() []string {
	names := make([]string, 0, len(environments))
	for n := range environments {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
