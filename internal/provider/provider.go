// Package provider is the Terraform provider: its configuration and its
// resources. It knows Terraform and talks to Graph only through internal/graph.
package provider

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

var (
	_ provider.Provider                  = (*entitlementProvider)(nil)
	_ provider.ProviderWithActions       = (*entitlementProvider)(nil)
	_ provider.ProviderWithListResources = (*entitlementProvider)(nil)
)

// New returns the provider factory for a version.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &entitlementProvider{version: version} }
}

type entitlementProvider struct {
	version string
}

type providerModel struct {
	TenantID     types.String `tfsdk:"tenant_id"`
	ClientID     types.String `tfsdk:"client_id"`
	ClientSecret types.String `tfsdk:"client_secret"`
	Environment  types.String `tfsdk:"environment"`
	GraphURL     types.String `tfsdk:"graph_url"`
	AccessToken  types.String `tfsdk:"access_token"`
}

// providerData is what Configure hands to every resource, data source,
// action and list resource.
type providerData struct {
	client *graph.Client
	env    environment
	envKey string
	// poll is how requests are followed.
	poll graph.PollPolicy
}

// configured returns the provider data given to a Configure method, or nil
// while the provider is not configured yet (validation runs before it).
func configured(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. Please report this issue to the provider developers.", data))
		return nil
	}
	return pd
}

func (p *entitlementProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "entitlement"
	resp.Version = p.version
}

func (p *entitlementProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages Microsoft Entra entitlement management access package assignments through Microsoft Graph assignment requests.",
		Attributes: map[string]schema.Attribute{
			"tenant_id": schema.StringAttribute{
				MarkdownDescription: "The Microsoft Entra tenant (directory) id. Also read from `ARM_TENANT_ID`.",
				Optional:            true,
				Validators:          []validator.String{guid()},
			},
			"client_id": schema.StringAttribute{
				MarkdownDescription: "The application (client) id of the app registration that calls Graph. Also read from `ARM_CLIENT_ID`.",
				Optional:            true,
				Validators:          []validator.String{guid()},
			},
			"client_secret": schema.StringAttribute{
				MarkdownDescription: "A client secret of that application. Also read from `ARM_CLIENT_SECRET`.",
				Optional:            true,
				Sensitive:           true,
			},
			"environment": schema.StringAttribute{
				MarkdownDescription: "The Microsoft cloud: `global` (default), `usgovernmentl4`, `usgovernmentl5` or `china`. It selects the Graph host, the token authority and the token scope. Also read from `ARM_ENVIRONMENT`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOf(environmentNames()...)},
			},
			"graph_url": schema.StringAttribute{
				MarkdownDescription: "The Graph root to use instead of the cloud's, **only for a local emulator**: the host must be `127.0.0.1`, `localhost` or `::1`, so that no Graph token is ever sent to another host. `/v1.0` is appended. Also read from `ENTITLEMENT_GRAPH_URL`.",
				Optional:            true,
			},
			"access_token": schema.StringAttribute{
				MarkdownDescription: "A bearer token to send as is, instead of authenticating with a client secret: a token a pipeline already holds, or the emulator's token. Also read from `ENTITLEMENT_ACCESS_TOKEN`.",
				Optional:            true,
				Sensitive:           true,
			},
		},
	}
}

// setting is a configuration value with its environment-variable fallback.
func setting(v types.String, env string) string {
	if !v.IsNull() && !v.IsUnknown() {
		return v.ValueString()
	}
	return os.Getenv(env)
}

func (p *entitlementProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for name, v := range map[string]types.String{"tenant_id": cfg.TenantID, "client_id": cfg.ClientID, "client_secret": cfg.ClientSecret,
		"environment": cfg.Environment, "graph_url": cfg.GraphURL, "access_token": cfg.AccessToken} {
		if v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Unknown provider setting",
				fmt.Sprintf("The provider cannot be configured while %s is unknown: it is needed before any Graph call. Set it from a value known at plan time, or apply its source first with -target.", name))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	envKey := setting(cfg.Environment, "ARM_ENVIRONMENT")
	if envKey == "" {
		envKey = "global"
	}
	env, ok := environments[strings.ToLower(envKey)]
	if !ok {
		resp.Diagnostics.AddAttributeError(path.Root("environment"), "Unknown environment",
			fmt.Sprintf("ARM_ENVIRONMENT %q is not one of %s.", envKey, strings.Join(environmentNames(), ", ")))
		return
	}
	base := env.graphRoot + "/v1.0"
	if g := setting(cfg.GraphURL, "ENTITLEMENT_GRAPH_URL"); g != "" {
		u, err := url.Parse(g)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || !graph.IsLoopback(u.Hostname()) {
			resp.Diagnostics.AddAttributeError(path.Root("graph_url"), "graph_url must be a loopback emulator",
				fmt.Sprintf("graph_url %q is not allowed: it may only point at a local emulator on 127.0.0.1, localhost or ::1 (for example http://127.0.0.1:8787), so that Graph tokens never reach another host. To use a national cloud, set environment instead.", g))
			return
		}
		base = strings.TrimRight(g, "/") + "/v1.0"
	}
	gc := graph.Config{BaseURL: base, UserAgent: "terraform-provider-entitlement/" + p.version}
	if tok := setting(cfg.AccessToken, "ENTITLEMENT_ACCESS_TOKEN"); tok != "" {
		gc.StaticToken = tok
	} else {
		cred, diagSummary, diagDetail := clientSecretCredential(cfg, env)
		if cred == nil {
			resp.Diagnostics.AddError(diagSummary, diagDetail)
			return
		}
		gc.Credential = cred
		gc.Scopes = []string{env.scope}
	}
	client, err := graph.New(gc)
	if err != nil {
		resp.Diagnostics.AddError("Invalid provider configuration", err.Error())
		return
	}
	tflog.Debug(ctx, "configured the Graph client", map[string]any{"graph_base_url": base, "environment": envKey, "static_token": gc.StaticToken != ""})
	data := &providerData{client: client, env: env, envKey: envKey, poll: graph.DefaultPoll}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.ActionData = data
	resp.ListResourceData = data
}

// clientSecretCredential builds the azidentity credential, or explains what is missing.
func clientSecretCredential(cfg providerModel, env environment) (azcore.TokenCredential, string, string) {
	tenant := setting(cfg.TenantID, "ARM_TENANT_ID")
	client := setting(cfg.ClientID, "ARM_CLIENT_ID")
	secret := setting(cfg.ClientSecret, "ARM_CLIENT_SECRET")
	var missing []string
	for _, m := range []struct{ v, name string }{{tenant, "tenant_id (ARM_TENANT_ID)"}, {client, "client_id (ARM_CLIENT_ID)"}, {secret, "client_secret (ARM_CLIENT_SECRET)"}} {
		if m.v == "" {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return nil, "Missing credentials",
			"The provider needs either access_token (ENTITLEMENT_ACCESS_TOKEN), or a client secret credential; missing: " + strings.Join(missing, ", ") + "."
	}
	cred, err := azidentity.NewClientSecretCredential(tenant, client, secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: azcore.ClientOptions{Cloud: env.authority}})
	if err != nil {
		return nil, "Invalid client secret credential", err.Error()
	}
	return cred, "", ""
}

func (p *entitlementProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewAccessPackageAssignmentResource,
		NewAssignmentRequestReprocessResource,
		NewAssignmentRequestResumeResource,
		NewAccessPackageAssignmentReprocessResource,
		NewAccessPackageAssignmentRequestResource,
	}
}

func (p *entitlementProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewAssignmentRequestDataSource, NewAssignmentRequestsDataSource,
		NewAccessPackageAssignmentDataSource, NewAccessPackageAssignmentsDataSource,
	}
}

// ListResources serve `terraform query` (Terraform 1.14 and later).
func (p *entitlementProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{NewAccessPackageAssignmentListResource}
}

// Actions are for Terraform 1.14 and later; earlier versions ignore them and
// use the action-style resources.
func (p *entitlementProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{NewReprocessAction, NewResumeAction}
}
