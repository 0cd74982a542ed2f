// Package provider is the Terraform provider: its configuration and its
// resources. It knows Terraform and talks to Graph only through internal/graph.
package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/attr"
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
	authModel
	Environment types.String `tfsdk:"environment"`
	GraphURL    types.String `tfsdk:"graph_url"`
	AccessToken types.String `tfsdk:"access_token"`
	Adopt       types.Bool   `tfsdk:"adopt_existing_assignments"`
	Concurrency types.Int64  `tfsdk:"max_concurrent_requests"`
	SoD         types.String `tfsdk:"separation_of_duties"`
}

func (p *entitlementProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "entitlement"
	resp.Version = p.version
}

func (p *entitlementProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	str := func(desc string, sensitive bool, v ...validator.String) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Optional: true, Sensitive: sensitive, Validators: v}
	}
	boolean := func(desc string) schema.BoolAttribute {
		return schema.BoolAttribute{MarkdownDescription: desc, Optional: true}
	}
	conflicts := func(names ...string) validator.String {
		ps := make([]path.Expression, len(names))
		for i, n := range names {
			ps[i] = path.MatchRoot(n)
		}
		return stringvalidator.ConflictsWith(ps...)
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages Microsoft Entra entitlement management access package assignments through Microsoft Graph assignment requests. " +
			"Authentication uses the azuread provider's settings and `ARM_*` environment variables; the first configured method in this order is used: " +
			"`access_token`, client certificate, client secret, OIDC (`use_oidc`), AKS workload identity, managed identity (`use_msi`), Azure CLI (`use_cli`).",
		Attributes: map[string]schema.Attribute{
			"tenant_id": str("The Microsoft Entra tenant (directory) id. Also read from `ARM_TENANT_ID`.", false, guid()),
			"client_id": str("The application (client) id of the app registration (or of the user-assigned managed identity) that calls Graph. Also read from `ARM_CLIENT_ID`.",
				false, guid(), conflicts("client_id_file_path")),
			"client_id_file_path":     str("A file holding the client id, for pipelines that mount it. Also read from `ARM_CLIENT_ID_FILE_PATH`.", false),
			"client_secret":           str("A client secret of the application. Also read from `ARM_CLIENT_SECRET`.", true, conflicts("client_secret_file_path")),
			"client_secret_file_path": str("A file holding the client secret, such as a mounted Kubernetes or Docker secret. Also read from `ARM_CLIENT_SECRET_FILE_PATH`.", false),
			"client_certificate": str("The base64-encoded PKCS#12 (`.pfx`) or PEM file of a certificate of the application, with its private key. Also read from `ARM_CLIENT_CERTIFICATE`.",
				true, conflicts("client_certificate_path")),
			"client_certificate_path":            str("The path of that PKCS#12 (`.pfx`) or PEM file. Also read from `ARM_CLIENT_CERTIFICATE_PATH`.", false),
			"client_certificate_password":        str("The password of the PKCS#12 file, if it has one. Also read from `ARM_CLIENT_CERTIFICATE_PASSWORD`.", true),
			"use_oidc":                           boolean("Authenticate with workload identity federation (OIDC): present a token from `oidc_token`, `oidc_token_file_path`, Azure Pipelines (`ado_pipeline_service_connection_id`) or a token request URL (GitHub Actions) to Entra, which trusts it through a federated credential on the application. Also read from `ARM_USE_OIDC`."),
			"oidc_token":                         str("An OIDC token to present. Also read from `ARM_OIDC_TOKEN`.", true, conflicts("oidc_token_file_path")),
			"oidc_token_file_path":               str("A file holding the OIDC token; it is read again for every new access token, so it may be rotated. Also read from `ARM_OIDC_TOKEN_FILE_PATH`.", false),
			"oidc_request_url":                   str("The URL of the pipeline's OIDC token service. Also read from `ARM_OIDC_REQUEST_URL`, then `ACTIONS_ID_TOKEN_REQUEST_URL` (GitHub Actions) or, with `ado_pipeline_service_connection_id`, `SYSTEM_OIDCREQUESTURI` (Azure Pipelines).", false),
			"oidc_request_token":                 str("The bearer token for `oidc_request_url`. Also read from `ARM_OIDC_REQUEST_TOKEN`, then `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (GitHub Actions) or, with `ado_pipeline_service_connection_id`, `SYSTEM_ACCESSTOKEN` (Azure Pipelines).", true),
			"ado_pipeline_service_connection_id": str("The id of the Azure DevOps service connection (workload identity federation) whose token to request. Also read from `ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID` or `ARM_OIDC_AZURE_SERVICE_CONNECTION_ID`.", false),
			"use_aks_workload_identity":          boolean("Authenticate with the AKS workload identity of the pod: the token file `AZURE_FEDERATED_TOKEN_FILE`, with `AZURE_CLIENT_ID` and `AZURE_TENANT_ID` unless `client_id` and `tenant_id` are set. Also read from `ARM_USE_AKS_WORKLOAD_IDENTITY`."),
			"use_msi":                            boolean("Authenticate with a managed identity: the system-assigned one, or the user-assigned one whose client id is `client_id`. Also read from `ARM_USE_MSI`."),
			"msi_endpoint":                       str("An IMDS-compatible token endpoint to use instead of `http://169.254.169.254/metadata/identity/oauth2/token`. Also read from `ARM_MSI_ENDPOINT`.", false),
			"adopt_existing_assignments":         boolean("Let `entitlement_access_package_assignment` take over an assignment, or an open request, that already exists in Graph for the same user, package and policy, instead of failing with an import hint. Off by default: an assignment made outside Terraform, or managed by another resource, is then never taken over silently (so that removing one resource cannot take away access another declares, and `terraform destroy` cannot remove access that existed before Terraform). Turn it on for unattended convergence after a killed apply (one whose process died before it saved the state): the next apply adopts what the killed one requested. Also read from `ENTITLEMENT_ADOPT_EXISTING_ASSIGNMENTS`."),
			"max_concurrent_requests": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("The most Graph calls the provider makes at once, across all resources (default %d, at most %d). `entitlement_access_package_assignments` sends its requests this many at a time; per-person resources are also bounded by Terraform's `-parallelism`. When Graph throttles (429 with `Retry-After`), every call waits until the time Graph names and the bound halves, then grows back as calls succeed. Also read from `ENTITLEMENT_MAX_CONCURRENT_REQUESTS`.", graph.DefaultConcurrency, graph.MaxConcurrency),
				Optional:            true,
				Validators:          []validator.Int64{int64validator.Between(1, graph.MaxConcurrency)},
			},
			"separation_of_duties": schema.StringAttribute{
				MarkdownDescription: "What a plan does when a target it would assign already holds access that the access package lists as incompatible (an assignment of one of its `incompatibleAccessPackages`, or membership of one of its `incompatibleGroups`): `warn` (default) names the target and the incompatible access in a warning, `refuse` makes it an error, `off` skips the check. Graph refuses such an assignment at apply whatever the setting. The check reads each package's incompatible packages and groups once per command, and then each of those packages' assignments and groups' members once; reading group members takes `GroupMember.Read.All`. Also read from `ENTITLEMENT_SEPARATION_OF_DUTIES`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOf(sodWarn, sodRefuse, sodOff)},
			},
			"use_cli": boolean("Fall back to the Azure CLI's signed-in account (`az account get-access-token`) when nothing else is configured. Defaults to `true`. Also read from `ARM_USE_CLI`."),
			"environment": schema.StringAttribute{
				MarkdownDescription: "The Microsoft cloud: `global` (default; also `public`), `usgovernmentl4` (also `usgovernment`), `usgovernmentl5` (also `dod`) or `china`. It selects the Graph host, the token authority and the token scope, for every credential type. Also read from `ARM_ENVIRONMENT`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOfCaseInsensitive(graph.CloudNames()...)},
			},
			"graph_url": schema.StringAttribute{
				MarkdownDescription: "The Graph root to use instead of the cloud's, **only for a local emulator**: the host must be a loopback address (`127.0.0.1`, `::1`) or `localhost` resolving only to loopback addresses, with no user name, password, query or path, so that no Graph token is ever sent to another host. `/v1.0` is appended. Also read from `ENTITLEMENT_GRAPH_URL`; an empty value is an error.",
				Optional:            true,
				Validators: []validator.String{stringCheck{desc: "the root URL of a local emulator", summary: "graph_url", check: func(s string) error {
					_, err := graph.CheckEmulatorURL(s)
					return err
				}}},
			},
			"access_token": schema.StringAttribute{
				MarkdownDescription: "A bearer token for Graph to send as is, instead of authenticating: a token a pipeline already holds, or the emulator's token. It takes precedence over every other method. Also read from `ENTITLEMENT_ACCESS_TOKEN`.",
				Optional:            true,
				Sensitive:           true,
			},
		},
	}
}

// concurrencySetting is max_concurrent_requests, or
// ENTITLEMENT_MAX_CONCURRENT_REQUESTS, or the default.
func concurrencySetting(v types.Int64) (int, error) {
	if !v.IsNull() && !v.IsUnknown() {
		return int(v.ValueInt64()), nil
	}
	env := os.Getenv("ENTITLEMENT_MAX_CONCURRENT_REQUESTS")
	if env == "" {
		return graph.DefaultConcurrency, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(env))
	if err != nil || n < 1 || n > graph.MaxConcurrency {
		return 0, fmt.Errorf("ENTITLEMENT_MAX_CONCURRENT_REQUESTS=%q: it must be a whole number from 1 to %d", env, graph.MaxConcurrency)
	}
	return n, nil
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
	cloud, base := resolveGraph(cfg, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if attr, err := checkEnvFlags(); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root(attr), "Invalid "+attr, err.Error())
		return
	}
	ae, err := newAuthEnv(cloud)
	if err != nil {
		resp.Diagnostics.AddError("Invalid test settings", err.Error())
		return
	}
	routeAzureLogs(ctx)
	concurrency, err := concurrencySetting(cfg.Concurrency)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("max_concurrent_requests"), "Invalid max_concurrent_requests", err.Error())
		return
	}
	sod, err := sodSetting(cfg.SoD)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("separation_of_duties"), "Invalid separation_of_duties", err.Error())
		return
	}
	gc := graph.Config{BaseURL: base, UserAgent: "terraform-provider-entitlement/" + p.version, Transport: ae.httpClient.Transport, Log: logGraph, Concurrency: concurrency, Trace: graphTracer()}
	method := "access token"
	if tok := setting(cfg.AccessToken, "ENTITLEMENT_ACCESS_TOKEN"); tok != "" {
		gc.StaticToken = tok
	} else {
		plan, cerr := resolveCredential(cfg.authModel, ae)
		if cerr != nil {
			if cerr.attr != "" {
				resp.Diagnostics.AddAttributeError(path.Root(cerr.attr), cerr.summary, cerr.detail)
			} else {
				resp.Diagnostics.AddError(cerr.summary, cerr.detail)
			}
			return
		}
		method = plan.method
		gc.Credential = &describedCredential{cred: plan.cred, method: plan.method}
		gc.Scopes = []string{cloud.Scope}
	}
	client, err := graph.New(gc)
	if err != nil {
		resp.Diagnostics.AddError("Invalid provider configuration", err.Error())
		return
	}
	if gc.StaticToken != "" {
		// A token given as is is checked at plan time too: Graph's refusal
		// of it should not wait for the apply.
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := client.CheckToken(cctx)
		cancel()
		switch {
		case graph.IsNotReached(err):
			resp.Diagnostics.AddError("Graph cannot be reached",
				fmt.Sprintf("The provider could not reach Graph at %s, so nothing can be planned or applied against it.\n\n%s", base, explain(err)))
			return
		case err != nil:
			resp.Diagnostics.AddAttributeError(path.Root("access_token"), "Access token refused",
				fmt.Sprintf("Graph (%s) refused the access token: it has expired, or it was issued for another tenant, cloud or audience.\n\n%s", base, explain(err)))
			return
		}
	}
	if gc.Credential != nil {
		actx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err := client.Authenticate(actx)
		cancel()
		if err != nil {
			var te *graph.TokenError
			if errors.As(err, &te) {
				err = te.Err
			}
			resp.Diagnostics.AddError("Authentication failed",
				fmt.Sprintf("The provider could not get a token for Microsoft Graph (%s, scope %s).\n\n%v", cloud.Name, cloud.Scope, err))
			return
		}
	}
	tflog.Debug(ctx, "configured the Graph client", map[string]any{"graph_base_url": base, "environment": cloud.Name, "credential": method, "scope": cloud.Scope})
	adopt, err := flag(cfg.Adopt, "ENTITLEMENT_ADOPT_EXISTING_ASSIGNMENTS", false)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("adopt_existing_assignments"), "Invalid adopt_existing_assignments", err.Error())
		return
	}
	data := &providerData{client: client, cloud: cloud, poll: graph.DefaultPoll, reads: newAssignmentReads(client), policies: newPolicyCache(), adopt: adopt,
		sod: newSeparation(client, sod)}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.ActionData = data
	resp.ListResourceData = data
}

func (p *entitlementProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewAccessPackageAssignmentResource,
		NewAccessPackageAssignmentsResource,
		NewAccessPackageAssignmentReprocessResource,
		NewAccessPackageAssignmentRequestResource,
		NewAccessPackageAssignmentRequestReprocessResource,
		NewAccessPackageAssignmentRequestResumeResource,
	}
}

func (p *entitlementProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewAccessPackageAssignmentRequestDataSource, NewAccessPackageAssignmentRequestsDataSource,
		NewAccessPackageAssignmentDataSource, NewAccessPackageAssignmentsDataSource,
		NewAccessPackageDataSource, NewAssignmentPolicyDataSource,
	}
}

// ListResources serve `terraform query` (Terraform 1.14 and later).
func (p *entitlementProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{NewAccessPackageAssignmentListResource}
}

// Actions are for Terraform 1.14 and later; earlier versions have no action
// blocks and use the action-style resources.
func (p *entitlementProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{NewAccessPackageAssignmentRequestReprocessAction, NewAccessPackageAssignmentRequestResumeAction}
}

// resolveGraph checks that every setting is known, and returns the cloud and
// the Graph base URL: the cloud's, or a local emulator's (graph_url).
func resolveGraph(cfg providerModel, diags *diag.Diagnostics) (graph.Cloud, string) {
	a := cfg.authModel
	for name, v := range map[string]attr.Value{"tenant_id": a.TenantID, "client_id": a.ClientID, "client_id_file_path": a.ClientIDFilePath,
		"client_secret": a.ClientSecret, "client_secret_file_path": a.ClientSecretFilePath, "client_certificate": a.ClientCertificate,
		"client_certificate_path": a.ClientCertificatePath, "client_certificate_password": a.ClientCertificatePassword, "use_oidc": a.UseOIDC,
		"oidc_token": a.OIDCToken, "oidc_token_file_path": a.OIDCTokenFilePath, "oidc_request_url": a.OIDCRequestURL, "oidc_request_token": a.OIDCRequestToken,
		"ado_pipeline_service_connection_id": a.ADOServiceConnectionID, "use_aks_workload_identity": a.UseAKSWorkloadIdentity, "use_msi": a.UseMSI,
		"msi_endpoint": a.MSIEndpoint, "use_cli": a.UseCLI, "environment": cfg.Environment, "graph_url": cfg.GraphURL, "access_token": cfg.AccessToken, "adopt_existing_assignments": cfg.Adopt, "max_concurrent_requests": cfg.Concurrency, "separation_of_duties": cfg.SoD} {
		if v.IsUnknown() {
			diags.AddAttributeError(path.Root(name), "Unknown provider setting",
				fmt.Sprintf("The provider cannot be configured while %s is unknown: it is needed before any Graph call. Set it from a value known at plan time, or apply its source first with -target.", name))
		}
	}
	if diags.HasError() {
		return graph.Cloud{}, ""
	}
	envName := strings.ToLower(setting(cfg.Environment, "ARM_ENVIRONMENT"))
	if envName == "" {
		envName = "global"
	}
	cloud, ok := graph.LookupCloud(envName)
	if !ok {
		diags.AddAttributeError(path.Root("environment"), "Unknown environment",
			fmt.Sprintf("ARM_ENVIRONMENT %q is not one of %s.", envName, strings.Join(graph.CloudNames(), ", ")))
		return graph.Cloud{}, ""
	}
	base := cloud.BaseURL()
	// An empty environment variable counts as unset; an empty graph_url in
	// the configuration is a mistake, never a silent fall-through to the
	// real Graph (nor a way to override ENTITLEMENT_GRAPH_URL).
	graphURL := os.Getenv("ENTITLEMENT_GRAPH_URL")
	set := graphURL != ""
	if !cfg.GraphURL.IsNull() {
		graphURL, set = cfg.GraphURL.ValueString(), true
	}
	if set {
		u, err := graph.CheckEmulatorURL(graphURL)
		if err != nil {
			diags.AddAttributeError(path.Root("graph_url"), "Invalid graph_url",
				fmt.Sprintf("graph_url (ENTITLEMENT_GRAPH_URL) may only point at a local emulator, so that Graph tokens never reach another host: %v. To use a national cloud, set environment instead.", err))
			return graph.Cloud{}, ""
		}
		base = u.Scheme + "://" + u.Host + "/v1.0"
	}
	return cloud, base
}
