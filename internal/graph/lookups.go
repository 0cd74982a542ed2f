package graph

import (
	"context"
	"strings"

	ig "github.com/microsoftgraph/msgraph-sdk-go/identitygovernance"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// The lookups by name use only what Microsoft's pages document: the
// accessPackage resource page marks displayName "Supports $filter (eq,
// contains)", the catalogs list page filters on displayName eq, and the
// Get accessPackage page expands relationships ("to retrieve the access
// package assignment policies, add $expand=assignmentPolicies"). Graph
// compares the filter's string case-insensitively, so the callers compare
// names again themselves.

// Named is an object's id and display name.
type Named struct{ ID, DisplayName string }

// AccessPackageDetail is an access package with its catalog and the names
// of its assignment policies.
type AccessPackageDetail struct {
	ID, DisplayName, Description string
	IsHidden                     bool
	CatalogID, CatalogName       string
	Policies                     []Named
}

// packageExpand is what a lookup reads with a package: its catalog and its
// policies (the Get accessPackage page's $expand of relationships).
var packageExpand = []string{"catalog", "assignmentPolicies"}

// GetAccessPackageDetail reads an access package with its catalog and
// policies.
func (c *Client) GetAccessPackageDetail(ctx context.Context, id string) (*AccessPackageDetail, error) {
	var out models.AccessPackageable
	op := "read access package " + id
	err := c.call(ctx, op, true, func(ctx context.Context) error {
		var err error
		out, err = c.em.AccessPackages().ByAccessPackageId(id).Get(ctx, &ig.EntitlementManagementAccessPackagesAccessPackageItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &ig.EntitlementManagementAccessPackagesAccessPackageItemRequestBuilderGetQueryParameters{Expand: packageExpand}})
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, &Error{Op: op, Status: 200, Message: "empty answer"}
	}
	d := &AccessPackageDetail{ID: str(out.GetId()), DisplayName: str(out.GetDisplayName()), Description: str(out.GetDescription()),
		IsHidden: out.GetIsHidden() != nil && *out.GetIsHidden()}
	if cat := out.GetCatalog(); cat != nil {
		d.CatalogID, d.CatalogName = str(cat.GetId()), str(cat.GetDisplayName())
	}
	for _, p := range out.GetAssignmentPolicies() {
		d.Policies = append(d.Policies, Named{ID: str(p.GetId()), DisplayName: str(p.GetDisplayName())})
	}
	return d, nil
}

// FindAccessPackages lists the access packages the caller can read whose
// display name is name (Graph's eq ignores case; so does this).
func (c *Client) FindAccessPackages(ctx context.Context, name string) ([]Named, error) {
	q := &ig.EntitlementManagementAccessPackagesRequestBuilderGetQueryParameters{Filter: joinFilter(eqFilter("displayName", name)), Select: []string{"id", "displayName"}}
	list, err := listEvery(ctx, c, "access packages named "+quote(name),
		func(ctx context.Context) (models.AccessPackageCollectionResponseable, error) {
			return c.em.AccessPackages().Get(ctx, &ig.EntitlementManagementAccessPackagesRequestBuilderGetRequestConfiguration{QueryParameters: q})
		},
		func(ctx context.Context, link string) (models.AccessPackageCollectionResponseable, error) {
			return c.em.AccessPackages().WithUrl(link).Get(ctx, nil)
		}, func(p models.AccessPackageable) Named {
			return Named{ID: str(p.GetId()), DisplayName: str(p.GetDisplayName())}
		})
	if err != nil {
		return nil, err
	}
	return sameName(list, name), nil
}

// FindCatalogs lists the catalogs the caller can read whose display name is
// name.
func (c *Client) FindCatalogs(ctx context.Context, name string) ([]Named, error) {
	q := &ig.EntitlementManagementCatalogsRequestBuilderGetQueryParameters{Filter: joinFilter(eqFilter("displayName", name)), Select: []string{"id", "displayName"}}
	list, err := listEvery(ctx, c, "catalogs named "+quote(name),
		func(ctx context.Context) (models.AccessPackageCatalogCollectionResponseable, error) {
			return c.em.Catalogs().Get(ctx, &ig.EntitlementManagementCatalogsRequestBuilderGetRequestConfiguration{QueryParameters: q})
		},
		func(ctx context.Context, link string) (models.AccessPackageCatalogCollectionResponseable, error) {
			return c.em.Catalogs().WithUrl(link).Get(ctx, nil)
		}, func(p models.AccessPackageCatalogable) Named {
			return Named{ID: str(p.GetId()), DisplayName: str(p.GetDisplayName())}
		})
	if err != nil {
		return nil, err
	}
	return sameName(list, name), nil
}

func sameName(list []Named, name string) []Named {
	out := list[:0]
	for _, n := range list {
		if strings.EqualFold(n.DisplayName, name) {
			out = append(out, n)
		}
	}
	return out
}

func quote(s string) string { return "\"" + s + "\"" }
