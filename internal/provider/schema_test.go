package provider

import (
	"context"
	"testing"

	fwaction "github.com/hashicorp/terraform-plugin-framework/action"
	fwdatasource "github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	fwlist "github.com/hashicorp/terraform-plugin-framework/list"
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// schemaUnderTest is one object's schema, with a function that reads a
// value of that schema into the object's model.
type schemaUnderTest struct {
	name     string
	validate func(context.Context) diag.Diagnostics
	typ      tftypes.Type
	get      func(context.Context, tftypes.Value) diag.Diagnostics
}

// allSchemas is every object the provider registers, each with its model:
// a new resource, data source, action or list resource must be added here,
// and TestSchemasCoverEveryObject fails until it is.
func allSchemas(ctx context.Context) []schemaUnderTest {
	var out []schemaUnderTest
	res := func(name string, r fwresource.Resource, model any) {
		var sr fwresource.SchemaResponse
		r.Schema(ctx, fwresource.SchemaRequest{}, &sr)
		out = append(out, schemaUnderTest{name: "resource " + name, validate: sr.Schema.ValidateImplementation, typ: sr.Schema.Type().TerraformType(ctx),
			get: func(ctx context.Context, v tftypes.Value) diag.Diagnostics {
				return tfsdk.State{Schema: sr.Schema, Raw: v}.Get(ctx, model)
			}})
	}
	ds := func(name string, d fwdatasource.DataSource, model any) {
		var sr fwdatasource.SchemaResponse
		d.Schema(ctx, fwdatasource.SchemaRequest{}, &sr)
		out = append(out, schemaUnderTest{name: "data source " + name, validate: sr.Schema.ValidateImplementation, typ: sr.Schema.Type().TerraformType(ctx),
			get: func(ctx context.Context, v tftypes.Value) diag.Diagnostics {
				return tfsdk.Config{Schema: sr.Schema, Raw: v}.Get(ctx, model)
			}})
	}
	act := func(name string, a fwaction.Action, model any) {
		var sr fwaction.SchemaResponse
		a.Schema(ctx, fwaction.SchemaRequest{}, &sr)
		out = append(out, schemaUnderTest{name: "action " + name, validate: sr.Schema.ValidateImplementation, typ: sr.Schema.Type().TerraformType(ctx),
			get: func(ctx context.Context, v tftypes.Value) diag.Diagnostics {
				return tfsdk.Config{Schema: sr.Schema, Raw: v}.Get(ctx, model)
			}})
	}
	lst := func(name string, l fwlist.ListResource, model any) {
		var sr fwlist.ListResourceSchemaResponse
		l.ListResourceConfigSchema(ctx, fwlist.ListResourceSchemaRequest{}, &sr)
		out = append(out, schemaUnderTest{name: "list resource " + name, validate: sr.Schema.ValidateImplementation, typ: sr.Schema.Type().TerraformType(ctx),
			get: func(ctx context.Context, v tftypes.Value) diag.Diagnostics {
				return tfsdk.Config{Schema: sr.Schema, Raw: v}.Get(ctx, model)
			}})
	}
	res("access_package_assignment", NewAccessPackageAssignmentResource(), &accessPackageAssignmentModel{})
	res("access_package_assignments", NewAccessPackageAssignmentsResource(), &accessPackageAssignmentsResourceModel{})
	res("access_package_assignment_reprocess", NewAccessPackageAssignmentReprocessResource(), &accessPackageAssignmentReprocessModel{})
	res("access_package_assignment_request", NewAccessPackageAssignmentRequestResource(), &accessPackageAssignmentRequestModel{})
	res("access_package_assignment_request_reprocess", NewAccessPackageAssignmentRequestReprocessResource(), &accessPackageAssignmentRequestReprocessModel{})
	res("access_package_assignment_request_resume", NewAccessPackageAssignmentRequestResumeResource(), &accessPackageAssignmentRequestResumeModel{})
	ds("access_package_assignment", NewAccessPackageAssignmentDataSource(), &accessPackageAssignmentDataSourceModel{})
	ds("access_package_assignments", NewAccessPackageAssignmentsDataSource(), &accessPackageAssignmentsModel{})
	ds("access_package_assignment_request", NewAccessPackageAssignmentRequestDataSource(), &accessPackageAssignmentRequestDataSourceModel{})
	ds("access_package_assignment_requests", NewAccessPackageAssignmentRequestsDataSource(), &accessPackageAssignmentRequestsModel{})
	ds("access_package", NewAccessPackageDataSource(), &accessPackageDataSourceModel{})
	ds("access_package_assignment_policy", NewAssignmentPolicyDataSource(), &assignmentPolicyDataSourceModel{})
	act("access_package_assignment_request_reprocess", NewAccessPackageAssignmentRequestReprocessAction(), &reprocessActionModel{})
	act("access_package_assignment_request_resume", NewAccessPackageAssignmentRequestResumeAction(), &resumeActionModel{})
	lst("access_package_assignment", NewAccessPackageAssignmentListResource(), &assignmentListConfig{})
	return out
}

// Every schema is valid, and its model reads a value of it: a model field
// missing, extra or of the wrong type fails here, not in a user's apply.
func TestSchemasAreValidAndMatchTheirModels(t *testing.T) {
	ctx := context.Background()
	var pr fwprovider.SchemaResponse
	New("test")().Schema(ctx, fwprovider.SchemaRequest{}, &pr)
	if d := pr.Schema.ValidateImplementation(ctx); d.HasError() {
		t.Fatalf("provider schema: %v", d)
	}
	for _, s := range allSchemas(ctx) {
		t.Run(s.name, func(t *testing.T) {
			if d := s.validate(ctx); d.HasError() {
				t.Fatalf("invalid schema: %v", d)
			}
			obj := s.typ.(tftypes.Object)
			nulls := map[string]tftypes.Value{}
			for name, at := range obj.AttributeTypes {
				nulls[name] = tftypes.NewValue(at, nil)
			}
			if d := s.get(ctx, tftypes.NewValue(obj, nulls)); d.HasError() {
				t.Fatalf("the model does not match the schema: %v", d)
			}
		})
	}
}

// allSchemas names every registered object.
func TestSchemasCoverEveryObject(t *testing.T) {
	ctx := context.Background()
	p := New("test")().(*entitlementProvider)
	registered := len(p.Resources(ctx)) + len(p.DataSources(ctx)) + len(p.Actions(ctx)) + len(p.ListResources(ctx))
	if got := len(allSchemas(ctx)); got != registered {
		t.Fatalf("allSchemas checks %d objects; the provider registers %d", got, registered)
	}
}
