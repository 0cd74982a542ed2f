package provider

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
)

// One manager per package and policy. Two resources that manage the same
// access package under the same policy — two authoritative resources, or an
// authoritative one beside per-person ones, in one configuration or in two
// states — remove each other's people on alternate applies. Nothing in
// Graph's model says who asked for an assignment (the v1.0 request's
// requestor is the target of an admin request, not the caller), so the
// provider leaves its own evidence: a marker at the end of the
// justification of every request it sends, naming the kind of resource and,
// for an authoritative one, an id of its own. Before the authoritative
// resource removes an assignment that it did not itself hold at its last
// apply, it reads the marker of the request that gave it; a marker of
// another manager stops the apply. The per-person resource reads the marker
// of the request that removed its assignment. Limits: only requests sent by
// this provider carry markers (a person in the portal, or another tool, is
// drift, not a manager); the US Government and China clouds have no
// justification on requests, so there the evidence is missing.

const (
	markerPrefix      = "managed by Terraform: "
	kindPerPerson     = "entitlement_access_package_assignment"
	kindAuthoritative = "entitlement_access_package_assignments"
)

// manager is who sent a request, as its marker says.
type manager struct {
	Kind string // kindPerPerson or kindAuthoritative
	ID   string // an authoritative resource's own id; empty for per-person
}

func (m manager) marker() string {
	if m.ID == "" {
		return markerPrefix + m.Kind
	}
	return markerPrefix + m.Kind + " " + m.ID
}

// String names the manager for a person reading an error.
func (m manager) String() string {
	if m.Kind == kindPerPerson {
		return "an entitlement_access_package_assignment resource"
	}
	return "another entitlement_access_package_assignments resource (its marker id " + m.ID + ")"
}

// withMarker is the justification to send: the configured one, then the
// marker in parentheses.
func withMarker(justification string, m manager) string {
	if justification == "" {
		return "(" + m.marker() + ")"
	}
	return justification + " (" + m.marker() + ")"
}

var markerRE = regexp.MustCompile(`\(` + regexp.QuoteMeta(markerPrefix) + `(entitlement_access_package_assignments?)(?: ([0-9a-f]{8,32}))?\)\s*$`)

// managerOf reads the marker at the end of a justification.
func managerOf(justification string) (manager, bool) {
	m := markerRE.FindStringSubmatch(justification)
	if m == nil {
		return manager{}, false
	}
	return manager{Kind: m[1], ID: m[2]}, true
}

// newManagerID is an authoritative resource's own id, for its marker.
func newManagerID() string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on the platforms Go supports
	}
	return hex.EncodeToString(b)
}

// rosterKey is the private-state key of an authoritative resource's roster.
const rosterKey = "roster"

// roster is what an authoritative resource keeps in its private state: its
// marker id, and the targets its configuration listed at its last apply
// (lower-cased). A removal of a target it listed is the configuration's own
// change; one of a target it never listed is an assignment that appeared
// outside it, which may be another manager's. ClaimAll, set by an import,
// makes the next refresh take every current holder as listed: whoever
// imports declares the package theirs.
type roster struct {
	Manager  string   `json:"manager"`
	Targets  []string `json:"targets,omitempty"`
	ClaimAll bool     `json:"claim_all,omitempty"`

	listed map[string]bool
}

func decodeRoster(raw []byte) roster {
	var r roster
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &r) // a roster that cannot be read is an empty one: every removal is checked
	}
	r.index()
	return r
}

func (r *roster) index() {
	r.listed = make(map[string]bool, len(r.Targets))
	for _, t := range r.Targets {
		r.listed[strings.ToLower(t)] = true
	}
}

// has says whether the target was listed at the last apply.
func (r roster) has(key string) bool { return r.listed[strings.ToLower(key)] }

// with is the roster listing exactly these targets.
func (r roster) with(keys []string) roster {
	out := roster{Manager: r.Manager}
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		k = strings.ToLower(k)
		if !seen[k] {
			seen[k] = true
			out.Targets = append(out.Targets, k)
		}
	}
	sort.Strings(out.Targets)
	out.index()
	return out
}

func (r roster) encode() []byte {
	b, _ := json.Marshal(r) // strings and a bool: cannot fail
	return b
}

// self is the resource's manager.
func (r roster) self() manager { return manager{Kind: kindAuthoritative, ID: r.Manager} }
