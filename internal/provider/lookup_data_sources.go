package provider

import (
	"context"
	"fmt"
	"strings"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

var (
	_ datasource.DataSourceWithConfigure        = (*assignmentPolicyDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*accessPackageDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*accessPackageDataSource)(nil)
)

// ---- entitlement_access_package_assignment_policy -------------------------------

// NewAssignmentPolicyDataSource is the entitlement_access_package_assignment_policy data source.
func NewAssignmentPolicyDataSource() datasource.DataSource { return &assignmentPolicyDataSource{} }

type assignmentPolicyDataSource struct{ dataSourceBase }

type policyQuestionModel struct {
	ID                 types.String `tfsdk:"id"`
	Text               types.String `tfsdk:"text"`
	Type               types.String `tfsdk:"type"`
	Required           types.Bool   `tfsdk:"required"`
	Choices            types.List   `tfsdk:"choices"`
	MultipleSelections types.Bool   `tfsdk:"multiple_selection_allowed"`
	RegexPattern       types.String `tfsdk:"regex_pattern"`
}

type policyExpirationModel struct {
	Type        types.String `tfsdk:"type"`
	Duration    types.String `tfsdk:"duration"`
	EndDateTime types.String `tfsdk:"end_date_time"`
}

type assignmentPolicyDataSourceModel struct {
	AccessPackageID       types.String           `tfsdk:"access_package_id"`
	DisplayName           types.String           `tfsdk:"display_name"`
	ID                    types.String           `tfsdk:"id"`
	Description           types.String           `tfsdk:"description"`
	AllowedTargetScope    types.String           `tfsdk:"allowed_target_scope"`
	SelfRequestAllowed    types.Bool             `tfsdk:"self_request_allowed"`
	CustomScheduleAllowed types.Bool             `tfsdk:"custom_schedule_allowed"`
	JustificationRequired types.Bool             `tfsdk:"justification_required"`
	ApprovalRequired      types.Bool             `tfsdk:"approval_required"`
	Expiration            *policyExpirationModel `tfsdk:"expiration"`
	Questions             []policyQuestionModel  `tfsdk:"questions"`
	Timeouts              dstimeouts.Value       `tfsdk:"timeouts"`
}

func (d *assignmentPolicyDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_package_assignment_policy"
}

func (d *assignmentPolicyDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	flag := func(desc string) schema.BoolAttribute {
		return schema.BoolAttribute{Computed: true, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Finds an access package's assignment policy by its display name, so that a configuration does not copy policy ids by hand: " +
			"its id, and what a request under it needs (expiration, whether a custom schedule is allowed, its questions). " +
			"Exactly one policy of the package must have the name (compared as Graph does, ignoring case; an exact match wins over others that differ only in case): " +
			"no match is an error that lists the package's policies, several an error that lists the candidates with their ids.",
		Attributes: withReadTimeout(ctx, map[string]schema.Attribute{
			"access_package_id": schema.StringAttribute{Required: true, MarkdownDescription: "The access package whose policy to find.", Validators: []validator.String{guid()}},
			"display_name":      schema.StringAttribute{Required: true, MarkdownDescription: "The policy's display name, as the Entra admin center shows it."},
			"id":                computed("The policy's id: the `assignment_policy_id` of the assignment resources."),
			"description":       computed("The policy's description."),
			"allowed_target_scope": computed("Who may be assigned under the policy (Graph's `allowedTargetScope`): `notSpecified` (only by an administrator's direct assignment), " +
				"`specificDirectoryUsers`, `allMemberUsers`, `allDirectoryUsers`, `allExternalUsers`, …"),
			"self_request_allowed":    flag("Whether the people in scope may request the package themselves (`requestorSettings.enableTargetsToSelfAddAccess`)."),
			"custom_schedule_allowed": flag("Whether a request may carry its own schedule (`requestorSettings.allowCustomAssignmentSchedule`); when false, a `schedule` on an assignment is refused."),
			"justification_required":  flag("Whether a request must carry a justification (`requestApprovalSettings.isRequestorJustificationRequired`)."),
			"approval_required":       flag("Whether a request to add the package needs approval (`requestApprovalSettings.isApprovalRequiredForAdd`)."),
			"expiration": schema.SingleNestedAttribute{Computed: true, MarkdownDescription: "When assignments under the policy end, unless a request sets its own schedule.",
				Attributes: map[string]schema.Attribute{
					"type":          computed("`noExpiration`, `afterDateTime`, `afterDuration` or `notSpecified`."),
					"duration":      computed("With `afterDuration`: an ISO 8601 duration such as `P90D`."),
					"end_date_time": computed("With `afterDateTime`: the end, RFC 3339."),
				}},
			"questions": schema.ListNestedAttribute{Computed: true, MarkdownDescription: "The questions a request answers (`answers` of the assignment resources).",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":                         computed("The question's id: an answer's `question_id`."),
					"text":                       computed("The question as the requestor sees it."),
					"type":                       computed("`text` or `choice`."),
					"required":                   flag("Whether a request must answer it."),
					"choices":                    schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "A choice question's values (`actualValue`)."},
					"multiple_selection_allowed": flag("Whether a choice question takes several choices."),
					"regex_pattern":              computed("A text question's pattern, which the whole answer must match."),
				}}},
		}),
	}
}

func (d *assignmentPolicyDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m assignmentPolicyDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, td := readTimeout(ctx, m.Timeouts)
	resp.Diagnostics.Append(td...)
	defer cancel()
	pkgID, name := m.AccessPackageID.ValueString(), m.DisplayName.ValueString()
	pkg, err := d.client.GetAccessPackageDetail(ctx, pkgID)
	if err != nil {
		addGraphError(&resp.Diagnostics, "Error reading access package", lookupFailure("access package "+pkgID+" and its assignment policies", err), err)
		return
	}
	matches := pickByName(pkg.Policies, name)
	switch len(matches) {
	case 0:
		resp.Diagnostics.AddAttributeError(path.Root("display_name"), "No such assignment policy",
			fmt.Sprintf("Access package %q (%s) has no assignment policy named %q. Its policies: %s.", pkg.DisplayName, pkg.ID, name, describeNamed(pkg.Policies)))
		return
	case 1:
	default:
		resp.Diagnostics.AddAttributeError(path.Root("display_name"), "Several assignment policies have this name",
			fmt.Sprintf("Access package %q (%s) has %d assignment policies named %q: %s. Rename one in Entra, or use the policy's id directly.",
				pkg.DisplayName, pkg.ID, len(matches), name, describeNamed(matches)))
		return
	}
	p, err := d.client.GetPolicy(ctx, matches[0].ID)
	if err != nil {
		addGraphError(&resp.Diagnostics, "Error reading assignment policy", lookupFailure("assignment policy "+matches[0].ID, err), err)
		return
	}
	m.ID = types.StringValue(p.ID)
	m.DisplayName = types.StringValue(name)
	m.Description = types.StringValue(p.Description)
	m.AllowedTargetScope = types.StringValue(p.AllowedTargetScope)
	m.SelfRequestAllowed = types.BoolValue(p.SelfAddAllowed)
	m.CustomScheduleAllowed = types.BoolValue(p.AllowCustomSchedule)
	m.JustificationRequired = types.BoolValue(p.JustificationRequired)
	m.ApprovalRequired = types.BoolValue(p.ApprovalRequiredAdd)
	m.Expiration = nil
	if e := p.Expiration; e != nil {
		m.Expiration = &policyExpirationModel{Type: types.StringValue(e.ExpirationType), Duration: optString(e.Duration), EndDateTime: types.StringNull()}
		if e.End != nil {
			m.Expiration.EndDateTime = types.StringValue(e.End.UTC().Format("2006-01-02T15:04:05Z07:00"))
		}
	}
	m.Questions = []policyQuestionModel{}
	for _, q := range p.Questions {
		choices := make([]attr.Value, 0, len(q.Choices))
		for _, c := range q.Choices {
			choices = append(choices, types.StringValue(c))
		}
		m.Questions = append(m.Questions, policyQuestionModel{ID: types.StringValue(q.ID), Text: types.StringValue(q.Text), Type: types.StringValue(q.Type),
			Required: types.BoolValue(q.Required), Choices: types.ListValueMust(types.StringType, choices),
			MultipleSelections: types.BoolValue(q.MultipleChoices), RegexPattern: optString(q.Pattern)})
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// ---- entitlement_access_package ---------------------------------------------------

// NewAccessPackageDataSource is the entitlement_access_package data source.
func NewAccessPackageDataSource() datasource.DataSource { return &accessPackageDataSource{} }

type accessPackageDataSource struct{ dataSourceBase }

type namedModel struct {
	ID          types.String `tfsdk:"id"`
	DisplayName types.String `tfsdk:"display_name"`
}

type accessPackageDataSourceModel struct {
	DisplayName        types.String     `tfsdk:"display_name"`
	CatalogID          types.String     `tfsdk:"catalog_id"`
	CatalogName        types.String     `tfsdk:"catalog_name"`
	ID                 types.String     `tfsdk:"id"`
	Description        types.String     `tfsdk:"description"`
	IsHidden           types.Bool       `tfsdk:"is_hidden"`
	AssignmentPolicies []namedModel     `tfsdk:"assignment_policies"`
	Timeouts           dstimeouts.Value `tfsdk:"timeouts"`
}

func (d *accessPackageDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_package"
}

func (d *accessPackageDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Finds an access package by its display name within a catalog (given by `catalog_id` or `catalog_name`), with its assignment policies' names and ids. " +
			"Exactly one package of the catalog must have the name (compared as Graph does, ignoring case; an exact match wins over others that differ only in case): " +
			"no match is an error that names the packages of that name in other catalogs, several an error that lists them with their ids.",
		Attributes: withReadTimeout(ctx, map[string]schema.Attribute{
			"display_name": schema.StringAttribute{Required: true, MarkdownDescription: "The package's display name."},
			"catalog_id": schema.StringAttribute{Optional: true, Computed: true, Validators: []validator.String{guid()},
				MarkdownDescription: "The catalog the package is in. Exactly one of `catalog_id` and `catalog_name`."},
			"catalog_name": schema.StringAttribute{Optional: true, Computed: true,
				MarkdownDescription: "The catalog's display name, instead of `catalog_id`; it must name exactly one catalog the provider can read."},
			"id":          schema.StringAttribute{Computed: true, MarkdownDescription: "The package's id: the `access_package_id` of the other resources and data sources."},
			"description": schema.StringAttribute{Computed: true, MarkdownDescription: "The package's description."},
			"is_hidden":   schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the package is hidden from requestors in My Access."},
			"assignment_policies": schema.ListNestedAttribute{Computed: true, MarkdownDescription: "The package's assignment policies (id and display name); " +
				"`entitlement_access_package_assignment_policy` reads one in full.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":           schema.StringAttribute{Computed: true, MarkdownDescription: "The policy's id."},
					"display_name": schema.StringAttribute{Computed: true, MarkdownDescription: "The policy's display name."},
				}}},
		}),
	}
}

func (d *accessPackageDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{datasourcevalidator.ExactlyOneOf(path.MatchRoot("catalog_id"), path.MatchRoot("catalog_name"))}
}

func (d *accessPackageDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m accessPackageDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, td := readTimeout(ctx, m.Timeouts)
	resp.Diagnostics.Append(td...)
	defer cancel()
	name := m.DisplayName.ValueString()
	catalogID, catalogLabel := m.CatalogID.ValueString(), m.CatalogID.ValueString()
	if cn := m.CatalogName.ValueString(); catalogID == "" {
		cats, err := d.client.FindCatalogs(ctx, cn)
		if err != nil {
			addGraphError(&resp.Diagnostics, "Error finding the catalog", lookupFailure(fmt.Sprintf("the catalogs named %q", cn), err), err)
			return
		}
		cats = pickByName(cats, cn)
		switch len(cats) {
		case 0:
			resp.Diagnostics.AddAttributeError(path.Root("catalog_name"), "No such catalog",
				fmt.Sprintf("No catalog the provider can read is named %q. An identity with a role on one catalog sees only that catalog.", cn))
			return
		case 1:
		default:
			resp.Diagnostics.AddAttributeError(path.Root("catalog_name"), "Several catalogs have this name",
				fmt.Sprintf("%d catalogs are named %q: %s. Use catalog_id.", len(cats), cn, describeNamed(cats)))
			return
		}
		catalogID, catalogLabel = cats[0].ID, fmt.Sprintf("%q (%s)", cats[0].DisplayName, cats[0].ID)
	}
	found, err := d.client.FindAccessPackages(ctx, name)
	if err != nil {
		addGraphError(&resp.Diagnostics, "Error finding the access package", lookupFailure(fmt.Sprintf("the access packages named %q", name), err), err)
		return
	}
	// The listing does not say which catalog a package is in: each
	// candidate is read with its catalog (and its policies, for the result).
	var inCatalog, elsewhere []*graph.AccessPackageDetail
	for _, f := range found {
		p, err := d.client.GetAccessPackageDetail(ctx, f.ID)
		if err != nil {
			addGraphError(&resp.Diagnostics, "Error reading access package", lookupFailure("access package "+f.ID, err), err)
			return
		}
		if strings.EqualFold(p.CatalogID, catalogID) {
			inCatalog = append(inCatalog, p)
		} else {
			elsewhere = append(elsewhere, p)
		}
	}
	named := func(list []*graph.AccessPackageDetail) []graph.Named {
		out := make([]graph.Named, 0, len(list))
		for _, p := range list {
			out = append(out, graph.Named{ID: p.ID, DisplayName: p.DisplayName})
		}
		return out
	}
	picked := pickByName(named(inCatalog), name)
	switch len(picked) {
	case 0:
		other := "No package of that name is visible in another catalog."
		if len(elsewhere) > 0 {
			var parts []string
			for _, p := range elsewhere {
				parts = append(parts, fmt.Sprintf("%q (%s) in catalog %q (%s)", p.DisplayName, p.ID, p.CatalogName, p.CatalogID))
			}
			other = "Packages of that name in other catalogs: " + strings.Join(parts, ", ") + "."
		}
		resp.Diagnostics.AddAttributeError(path.Root("display_name"), "No such access package",
			fmt.Sprintf("Catalog %s has no access package named %q that the provider can read. %s", catalogLabel, name, other))
		return
	case 1:
	default:
		resp.Diagnostics.AddAttributeError(path.Root("display_name"), "Several access packages have this name",
			fmt.Sprintf("Catalog %s has %d access packages named %q: %s. Rename one in Entra, or use the package's id directly.", catalogLabel, len(picked), name, describeNamed(picked)))
		return
	}
	var p *graph.AccessPackageDetail
	for _, x := range inCatalog {
		if x.ID == picked[0].ID {
			p = x
		}
	}
	m.ID = types.StringValue(p.ID)
	m.Description = types.StringValue(p.Description)
	m.IsHidden = types.BoolValue(p.IsHidden)
	m.CatalogID = types.StringValue(p.CatalogID)
	if m.CatalogName.IsNull() || m.CatalogName.IsUnknown() {
		m.CatalogName = types.StringValue(p.CatalogName)
	}
	m.AssignmentPolicies = []namedModel{}
	for _, pol := range p.Policies {
		m.AssignmentPolicies = append(m.AssignmentPolicies, namedModel{ID: types.StringValue(pol.ID), DisplayName: types.StringValue(pol.DisplayName)})
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// ---- shared -----------------------------------------------------------------------

// pickByName keeps the entries named name, ignoring case as Graph's eq does;
// when several match and exactly one matches exactly, that one.
func pickByName(list []graph.Named, name string) []graph.Named {
	var fold, exact []graph.Named
	for _, n := range list {
		if strings.EqualFold(n.DisplayName, name) {
			fold = append(fold, n)
			if n.DisplayName == name {
				exact = append(exact, n)
			}
		}
	}
	if len(fold) > 1 && len(exact) == 1 {
		return exact
	}
	return fold
}

// describeNamed lists entries as `"name" (id)`, or says there are none.
func describeNamed(list []graph.Named) string {
	if len(list) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(list))
	for _, n := range list {
		parts = append(parts, fmt.Sprintf("%q (%s)", n.DisplayName, n.ID))
	}
	return strings.Join(parts, ", ")
}

// lookupFailure says what a lookup could not read and, for a refusal or a
// missing object, what to check.
func lookupFailure(what string, err error) string {
	switch {
	case graph.IsForbidden(err):
		return fmt.Sprintf("Graph refused to read %s: the identity needs a role on the catalog (Catalog reader is the least; Access package assignment manager also reads) or EntitlementManagement.Read.All.", what)
	case graph.IsNotFound(err):
		return fmt.Sprintf("Graph does not know %s: check the id.", what)
	}
	return "Could not read " + what + "."
}
