package graph

import (
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// Cloud is a Microsoft cloud: where its Graph is, who issues its tokens, and
// what its v1.0 API lacks. The capability flags follow Microsoft's v1.0
// metadata of each cloud: the US Government and China deployments have no
// resume action and no justification property on assignment requests.
type Cloud struct {
	// Name is the canonical name (global, usgovernmentl4, usgovernmentl5, china).
	Name string
	// GraphRoot is Graph's root URL, without the version.
	GraphRoot string
	// Authority is the Entra authority that issues the cloud's tokens.
	Authority cloud.Configuration
	// Scope is the .default scope of the cloud's Graph.
	Scope string
	// HasResume says whether v1.0 has the resume action.
	HasResume bool
	// HasJustification says whether v1.0 requests have a justification
	// property: where they do not, Graph rejects a request that sends one.
	HasJustification bool
}

// BaseURL is the cloud's v1.0 endpoint.
func (c Cloud) BaseURL() string { return c.GraphRoot + "/v1.0" }

var (
	cloudGlobal = Cloud{Name: "global", GraphRoot: "https://graph.microsoft.com", Authority: cloud.AzurePublic,
		Scope: "https://graph.microsoft.com/.default", HasResume: true, HasJustification: true}
	cloudUSGovL4 = Cloud{Name: "usgovernmentl4", GraphRoot: "https://graph.microsoft.us", Authority: cloud.AzureGovernment,
		Scope: "https://graph.microsoft.us/.default"}
	cloudUSGovL5 = Cloud{Name: "usgovernmentl5", GraphRoot: "https://dod-graph.microsoft.us", Authority: cloud.AzureGovernment,
		Scope: "https://dod-graph.microsoft.us/.default"}
	cloudChina = Cloud{Name: "china", GraphRoot: "https://microsoftgraph.chinacloudapi.cn", Authority: cloud.AzureChina,
		Scope: "https://microsoftgraph.chinacloudapi.cn/.default"}
)

// clouds maps every accepted name, the azuread provider's aliases included
// (public, usgovernment, dod), to its cloud.
var clouds = map[string]Cloud{
	"global":         cloudGlobal,
	"public":         cloudGlobal,
	"usgovernmentl4": cloudUSGovL4,
	"usgovernment":   cloudUSGovL4,
	"usgovernmentl5": cloudUSGovL5,
	"dod":            cloudUSGovL5,
	"china":          cloudChina,
}

// LookupCloud finds a cloud by name or alias, case-insensitively.
func LookupCloud(name string) (Cloud, bool) {
	c, ok := clouds[strings.ToLower(name)]
	return c, ok
}

// CloudNames lists the accepted names and aliases, sorted.
func CloudNames() []string {
	names := make([]string, 0, len(clouds))
	for n := range clouds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
