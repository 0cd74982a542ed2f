package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// Separation of duties at plan time. An access package may name the access
// packages whose assigned users may not be assigned it
// (incompatibleAccessPackages) and the groups whose members may not
// (incompatibleGroups). Graph refuses such an assignment when the apply
// sends it; the plan says so first: for each target the plan would assign,
// whether they hold an incompatible package (a live assignment) or are a
// member of an incompatible group, naming it. The setting
// separation_of_duties makes that a warning (default), an error, or skips
// the check. Graph's refusal at apply stays the final word.
//
// What it reads is read once per provider instance (one Terraform command):
// the package's incompatible packages and groups (two calls), then, only if
// there are any, each incompatible package's assignments (one listing) and
// each incompatible group's members (one listing), whatever the number of
// resources and targets planned.

const (
	sodWarn   = "warn"
	sodRefuse = "refuse"
	sodOff    = "off"
)

// sodSetting is separation_of_duties, or ENTITLEMENT_SEPARATION_OF_DUTIES,
// or warn.
func sodSetting(v types.String) (string, error) {
	s := setting(v, "ENTITLEMENT_SEPARATION_OF_DUTIES")
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return sodWarn, nil
	case sodWarn, sodRefuse, sodOff:
		return strings.ToLower(strings.TrimSpace(s)), nil
	}
	src := "separation_of_duties"
	if v.IsNull() {
		src = "ENTITLEMENT_SEPARATION_OF_DUTIES"
	}
	return "", fmt.Errorf("%s=%q: use warn, refuse or off", src, s)
}

// once is a value loaded at most once.
type once[T any] struct {
	done sync.Once
	v    T
	err  error
}

func loadOnce[T any](mu *sync.Mutex, m map[string]*once[T], key string, load func() (T, error)) (T, error) {
	mu.Lock()
	e := m[key]
	if e == nil {
		e = &once[T]{}
		m[key] = e
	}
	mu.Unlock()
	e.done.Do(func() { e.v, e.err = load() })
	return e.v, e.err
}

type sodRules struct {
	packages, groups []graph.Named
}

// separation reads and keeps what the check needs, for one provider
// instance.
type separation struct {
	client  *graph.Client
	mode    string
	mu      sync.Mutex
	rules   map[string]*once[sodRules]
	holders map[string]*once[map[string]bool]
	members map[string]*once[map[string]bool]
}

func newSeparation(client *graph.Client, mode string) *separation {
	return &separation{client: client, mode: mode, rules: map[string]*once[sodRules]{},
		holders: map[string]*once[map[string]bool]{}, members: map[string]*once[map[string]bool]{}}
}

// sodFinding is what the check found: per target, the incompatible access
// they hold; and what it could not check, and why.
type sodFinding struct {
	conflicts map[string][]string
	unchecked []string
}

func (s *separation) check(ctx context.Context, pkgID string, targets []string) sodFinding {
	f := sodFinding{conflicts: map[string][]string{}}
	rules, err := loadOnce(&s.mu, s.rules, strings.ToLower(pkgID), func() (sodRules, error) {
		var r sodRules
		var err error
		if r.packages, err = s.client.IncompatiblePackages(ctx, pkgID); err != nil {
			return r, err
		}
		r.groups, err = s.client.IncompatibleGroups(ctx, pkgID)
		return r, err
	})
	if err != nil {
		f.unchecked = append(f.unchecked, fmt.Sprintf("the incompatible access packages and groups of access package %s could not be read%s: %v",
			pkgID, needs(err, "a catalog role that reads the package's catalog (Catalog reader, Access package assignment manager, …) or EntitlementManagement.Read.All"), err))
		return f
	}
	for _, p := range rules.packages {
		held, err := loadOnce(&s.mu, s.holders, strings.ToLower(p.ID), func() (map[string]bool, error) {
			list, err := s.client.ListAssignments(ctx, graph.AssignmentFilter{AccessPackageID: p.ID})
			out := map[string]bool{}
			for _, a := range list {
				if a.Live() && a.Target != nil && a.Target.ObjectID != "" {
					out[strings.ToLower(a.Target.ObjectID)] = true
				}
			}
			return out, err
		})
		if err != nil {
			f.unchecked = append(f.unchecked, fmt.Sprintf("who holds the incompatible access package %q (%s) could not be read%s: %v",
				p.DisplayName, p.ID, needs(err, "a catalog role that reads that package's catalog (Catalog reader is the least) or EntitlementManagement.Read.All"), err))
			continue
		}
		for _, t := range targets {
			if held[strings.ToLower(t)] {
				f.conflicts[t] = append(f.conflicts[t], fmt.Sprintf("holds access package %q (%s)", p.DisplayName, p.ID))
			}
		}
	}
	for _, g := range rules.groups {
		in, err := loadOnce(&s.mu, s.members, strings.ToLower(g.ID), func() (map[string]bool, error) {
			ids, err := s.client.GroupMembers(ctx, g.ID)
			out := map[string]bool{}
			for _, id := range ids {
				out[strings.ToLower(id)] = true
			}
			return out, err
		})
		if err != nil {
			f.unchecked = append(f.unchecked, fmt.Sprintf("the members of the incompatible group %q (%s) could not be read%s: %v",
				g.DisplayName, g.ID, needs(err, "the permission GroupMember.Read.All (or Group.Read.All, Directory.Read.All)"), err))
			continue
		}
		for _, t := range targets {
			if in[strings.ToLower(t)] {
				f.conflicts[t] = append(f.conflicts[t], fmt.Sprintf("is a member of group %q (%s)", g.DisplayName, g.ID))
			}
		}
	}
	return f
}

// needs names what a refused read takes.
func needs(err error, what string) string {
	if graph.IsForbidden(err) {
		return " (Graph refused it: the provider's identity needs " + what + ")"
	}
	return ""
}

// checkSeparation runs the check for the targets a plan would assign (object
// ids; targets given by email are not checked) and adds what it found: a
// warning, or with separation_of_duties = "refuse" an error.
func checkSeparation(ctx context.Context, pd *providerData, pkg types.String, targets []string, diags *diag.Diagnostics) {
	if pd == nil || pd.sod == nil || pd.sod.mode == sodOff || pkg.IsNull() || pkg.IsUnknown() || len(targets) == 0 {
		return
	}
	f := pd.sod.check(ctx, pkg.ValueString(), targets)
	add := diags.AddWarning
	if pd.sod.mode == sodRefuse {
		add = diags.AddError
	}
	if len(f.conflicts) > 0 {
		var lines []string
		for t, why := range f.conflicts {
			lines = append(lines, fmt.Sprintf("%s %s", t, strings.Join(why, " and ")))
		}
		sort.Strings(lines)
		// The summary names who and which package: Terraform folds
		// diagnostics of one summary into "(and N more similar warnings
		// elsewhere)", which would hide every conflict but the first.
		who := make([]string, 0, len(f.conflicts))
		for t := range f.conflicts {
			who = append(who, t)
		}
		sort.Strings(who)
		subject := who[0] + " holds"
		if len(who) > 1 {
			subject = fmt.Sprintf("%s and %d more hold", who[0], len(who)-1)
		}
		add(fmt.Sprintf("Separation of duties: %s access incompatible with access package %s", subject, pkg.ValueString()),
			fmt.Sprintf("Access package %s lists access that these targets already hold as incompatible, so Graph will refuse to assign it to them when the apply sends the request:\n\n%s\n\nRemove the incompatible access first, or leave them out. separation_of_duties = %q in the provider block makes this %s.",
				pkg.ValueString(), bulletList(lines), map[string]string{sodWarn: sodRefuse, sodRefuse: sodWarn}[pd.sod.mode],
				map[string]string{sodWarn: "an error", sodRefuse: "a warning"}[pd.sod.mode]))
	}
	if len(f.unchecked) > 0 {
		add("Separation of duties not checked for access package "+pkg.ValueString(),
			fmt.Sprintf("The plan could not check separation of duties for access package %s:\n\n%s\n\nGraph still refuses an incompatible assignment at apply. Grant what is named, or set separation_of_duties = \"off\" to skip the check.",
				pkg.ValueString(), bulletList(f.unchecked)))
	}
}
