package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// defaultTimeout bounds a create, update, delete or action that sets no timeout.
const defaultTimeout = 30 * time.Minute

// defaultReadTimeout bounds a data source's read that sets no timeout.
const defaultReadTimeout = 5 * time.Minute

// providerData is what Configure hands to every resource, data source,
// action and list resource.
type providerData struct {
	client *graph.Client
	cloud  graph.Cloud
	// poll is how requests are followed.
	poll graph.PollPolicy
	// reads serves the assignment resource's refreshes (see assignmentReads).
	reads *assignmentReads
	// policies keeps the policies read during this command.
	policies *policyCache
	// adopt lets create take over what already exists (adopt_existing_assignments).
	adopt bool
	// sod is the plan-time separation-of-duties check (separation.go).
	sod *separation
}

// base is embedded, through one of the adapters below, by every resource,
// data source, action and list resource: it holds what Configure gives. Its
// fields are nil until the provider is configured (validation and some plans
// run before that), which configured() tells.
type base struct {
	*providerData
}

func (b *base) configure(data any, diags *diag.Diagnostics) {
	if data == nil {
		return
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected Provider Data",
			fmt.Sprintf("Expected *providerData, got %T. Please report this issue to the provider developers.", data))
		return
	}
	b.providerData = pd
}

// configured says whether Configure has run.
func (b *base) configured() bool { return b.providerData != nil }

// resourceBase gives a resource its Configure.
type resourceBase struct{ base }

func (b *resourceBase) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	b.configure(req.ProviderData, &resp.Diagnostics)
}

// dataSourceBase gives a data source its Configure.
type dataSourceBase struct{ base }

func (b *dataSourceBase) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	b.configure(req.ProviderData, &resp.Diagnostics)
}

// actionBase gives an action its Configure.
type actionBase struct{ base }

func (b *actionBase) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	b.configure(req.ProviderData, &resp.Diagnostics)
}
