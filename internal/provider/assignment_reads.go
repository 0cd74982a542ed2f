package provider

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/accessgov/terraform-provider-entitlement/internal/graph"
)

// assignmentReads serves the reads of a refresh. Terraform refreshes every
// resource with its own Read, so N assignments of one package cost N GETs,
// where listing the package costs one call per page. Reads of a package are
// counted; once listing it would cost no more calls than the reads already
// made (a rent-or-buy rule, so never more than about twice the cheaper
// choice), the next reads take the assignment from one listing of the
// package, shared by all of them and trusted for a short while only.
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
	// count is the package's assignment count, known since countAt.
	count    int
	countAt  time.Time
	counting chan struct{}
	snap     *packageSnapshot
}

type packageSnapshot struct {
	ready chan struct{}
	at    time.Time
	byID  map[string]*graph.Assignment
	err   error
}

const (
	// snapshotTTL is how long a listing serves reads: one refresh.
	snapshotTTL = 30 * time.Second
	// listPageSize is Graph's page for the list (the emulator's default; Graph
	// does not document it).
	listPageSize = 100
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
		p.countAt = time.Time{}
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
	if p.reads < minReadsBeforeListing {
		b.mu.Unlock()
		return nil
	}
	// How many pages would the listing take? Count once per TTL.
	if p.countAt.IsZero() || now.Sub(p.countAt) >= snapshotTTL {
		if p.counting == nil {
			ch := make(chan struct{})
			p.counting = ch
			b.mu.Unlock()
			n, err := b.client.CountAssignments(ctx, graph.AssignmentFilter{AccessPackageID: pkg})
			b.mu.Lock()
			if err == nil {
				p.count, p.countAt = n, b.now()
			} else {
				tflog.Debug(ctx, "could not count the package's assignments; reading them one by one", map[string]any{"access_package_id": pkg, "error": err.Error()})
				p.count, p.countAt = -1, b.now()
			}
			p.counting = nil
			close(ch)
		} else {
			ch := p.counting
			b.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return nil
			}
			b.mu.Lock()
		}
	}
	if p.snap != nil && b.now().Sub(p.snap.at) < snapshotTTL {
		s := p.snap
		b.mu.Unlock()
		return s
	}
	pages := (p.count + listPageSize - 1) / listPageSize
	if p.count < 0 || pages > p.reads {
		b.mu.Unlock()
		return nil
	}
	s := &packageSnapshot{ready: make(chan struct{}), at: b.now()}
	p.snap = s
	readsSoFar := p.reads
	b.mu.Unlock()

	list, err := b.client.ListAssignments(ctx, graph.AssignmentFilter{AccessPackageID: pkg})
	s.byID = make(map[string]*graph.Assignment, len(list))
	for _, a := range list {
		s.byID[strings.ToLower(a.ID)] = a
	}
	s.err = err
	if err != nil {
		b.mu.Lock()
		if p.snap == s {
			p.snap = nil
		}
		b.mu.Unlock()
	}
	tflog.Debug(ctx, "listed the package's assignments for the reads of this refresh", map[string]any{"access_package_id": pkg, "assignments": len(list), "reads_so_far": readsSoFar})
	close(s.ready)
	return s
}
