package provider

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// assignmentReads serves the reads of a refresh. Terraform refreshes every
// resource with its own Read, so N assignments of one package cost N GETs,
// where listing the package costs one call per page. Reads of a package are
// counted; once they reach a few, the package is listed, but only as far as
// as many pages as reads were made: a listing that would cost more is
// stopped there and tried again only when the reads have caught up with
// the pages it showed (a rent-or-buy rule, so never more than about twice
// the cheaper choice). Graph documents no $count on these collections, so
// the price of a listing is learned by paying for part of it. A complete
// listing serves the next reads, shared by all of them and trusted for a
// short while only.
//
// A listing is dropped as soon as this provider writes to the package, and
// an assignment a listing does not show is read directly (it may be new, or
// gone; the direct read tells which).
type assignmentReads struct {
	client *graph.Client
	now    func() time.Time

	mu   sync.Mutex
	pkgs map[string]*packageReads
}

type packageReads struct {
	reads int
	// needPages is set when a listing bounded to as many pages as reads had
	// been made did not reach the end (or failed): the package is listed
	// again only once the reads outnumber it, twice what they were then.
	needPages int
	snap      *packageSnapshot
}

type packageSnapshot struct {
	ready chan struct{}
	at    time.Time
	byID  map[string]*graph.Assignment
	err   error
}

// errListingTooLong says a bounded listing did not reach the end.
var errListingTooLong = errors.New("the listing has more pages than reads were made")

const (
	// snapshotTTL is how long a listing serves reads: one refresh.
	snapshotTTL = 30 * time.Second
	// minReadsBeforeListing keeps a package with a few managed assignments on
	// direct reads.
	minReadsBeforeListing = 3
)

func newAssignmentReads(c *graph.Client) *assignmentReads {
	return &assignmentReads{client: c, now: time.Now, pkgs: map[string]*packageReads{}}
}

// get reads assignment id of package pkg (pkg may be empty: then directly).
func (b *assignmentReads) get(ctx context.Context, pkg, id string) (*graph.Assignment, error) {
	if pkg == "" {
		return b.client.GetAssignment(ctx, id)
	}
	if snap := b.snapshotFor(ctx, pkg); snap != nil {
		select {
		case <-snap.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if snap.err == nil {
			if a, ok := snap.byID[strings.ToLower(id)]; ok {
				cp := *a
				return &cp, nil
			}
		}
	}
	return b.client.GetAssignment(ctx, id)
}

// wrote forgets what is known of a package after this provider changed it.
func (b *assignmentReads) wrote(pkg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p := b.pkgs[strings.ToLower(pkg)]; p != nil {
		p.snap = nil
		p.needPages = 0
	}
}

// snapshotFor returns a listing of the package to read from, taking one if
// it now pays, or nil to read directly.
func (b *assignmentReads) snapshotFor(ctx context.Context, pkg string) *packageSnapshot {
	key := strings.ToLower(pkg)
	b.mu.Lock()
	p := b.pkgs[key]
	if p == nil {
		p = &packageReads{}
		b.pkgs[key] = p
	}
	p.reads++
	now := b.now()
	if p.snap != nil && now.Sub(p.snap.at) < snapshotTTL {
		s := p.snap
		b.mu.Unlock()
		return s
	}
	if p.reads < minReadsBeforeListing || p.reads <= p.needPages {
		b.mu.Unlock()
		return nil
	}
	s := &packageSnapshot{ready: make(chan struct{}), at: b.now()}
	p.snap = s
	readsSoFar := p.reads
	b.mu.Unlock()

	list, complete, err := b.client.ListAssignmentsWithin(ctx, graph.AssignmentFilter{AccessPackageID: pkg}, readsSoFar)
	s.byID = make(map[string]*graph.Assignment, len(list))
	for _, a := range list {
		s.byID[strings.ToLower(a.ID)] = a
	}
	s.err = err
	if err == nil && !complete {
		s.err = errListingTooLong
	}
	if s.err != nil {
		b.mu.Lock()
		if p.snap == s {
			p.snap = nil
		}
		// Try again once the reads have doubled: the pages spent on
		// listings stay within the reads made.
		p.needPages = 2*readsSoFar - 1
		b.mu.Unlock()
		tflog.Debug(ctx, "the package's listing was not used for the reads of this refresh", map[string]any{"access_package_id": pkg, "pages_bound": readsSoFar, "reason": s.err.Error()})
		close(s.ready)
		return s
	}
	tflog.Debug(ctx, "listed the package's assignments for the reads of this refresh", map[string]any{"access_package_id": pkg, "assignments": len(list), "reads_so_far": readsSoFar})
	close(s.ready)
	return s
}
