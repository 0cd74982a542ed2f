package graph

import (
	"context"
	"net/url"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// Separation of duties: an access package's incompatible access packages
// and groups (List incompatibleAccessPackages, List incompatibleGroups: no
// query options but server-side paging), and a group's members (List group
// members, $select=id).

// IncompatiblePackages lists the access packages whose assigned users are
// ineligible to be assigned the package.
func (c *Client) IncompatiblePackages(ctx context.Context, pkgID string) ([]Named, error) {
	b := c.em.AccessPackages().ByAccessPackageId(pkgID).IncompatibleAccessPackages()
	return listEvery(ctx, c, "incompatible access packages of "+pkgID,
		func(ctx context.Context) (models.AccessPackageCollectionResponseable, error) { return b.Get(ctx, nil) },
		func(ctx context.Context, link string) (models.AccessPackageCollectionResponseable, error) {
			return b.WithUrl(link).Get(ctx, nil)
		}, func(p models.AccessPackageable) Named {
			return Named{ID: str(p.GetId()), DisplayName: str(p.GetDisplayName())}
		})
}

// IncompatibleGroups lists the groups whose members are ineligible to be
// assigned the package.
func (c *Client) IncompatibleGroups(ctx context.Context, pkgID string) ([]Named, error) {
	b := c.em.AccessPackages().ByAccessPackageId(pkgID).IncompatibleGroups()
	return listEvery(ctx, c, "incompatible groups of "+pkgID,
		func(ctx context.Context) (models.GroupCollectionResponseable, error) { return b.Get(ctx, nil) },
		func(ctx context.Context, link string) (models.GroupCollectionResponseable, error) {
			return b.WithUrl(link).Get(ctx, nil)
		}, func(g models.Groupable) Named { return Named{ID: str(g.GetId()), DisplayName: str(g.GetDisplayName())} })
}

// GroupMembers lists the ids of a group's direct members. It is sent
// through the adapter rather than the SDK's groups builders, whose package
// would add much to the provider's build for one call.
func (c *Client) GroupMembers(ctx context.Context, groupID string) ([]string, error) {
	get := func(ctx context.Context, raw string) (models.DirectoryObjectCollectionResponseable, error) {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, err
		}
		ri := abs.NewRequestInformation()
		ri.Method = abs.GET
		ri.SetUri(*u)
		ri.Headers.TryAdd("Accept", "application/json")
		res, err := c.adapter.Send(ctx, ri, models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue,
			abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
		if err != nil || res == nil {
			return nil, err
		}
		out, _ := res.(models.DirectoryObjectCollectionResponseable)
		return out, nil
	}
	first := c.base + "/groups/" + url.PathEscape(groupID) + "/members?%24select=id"
	return listEvery(ctx, c, "members of group "+groupID,
		func(ctx context.Context) (models.DirectoryObjectCollectionResponseable, error) {
			return get(ctx, first)
		},
		get, func(o models.DirectoryObjectable) string { return str(o.GetId()) })
}
