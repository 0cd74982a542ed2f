// Package contract checks JSON bodies against Microsoft's own description
// of Graph v1.0: the CSDL metadata of each cloud, trimmed to the types this
// project uses (testdata/, made by ./gen from Microsoft's files, whose
// provenance each file records). The acceptance suite runs every body the
// emulator answers and every body the provider sends through it, so that
// neither can drift from Graph's contract together.
package contract

import (
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

//go:embed testdata/*.json
var files embed.FS

// Contract is one cloud's trimmed metadata.
type Contract struct {
	Source  string                `json:"source"`
	File    string                `json:"file"`
	Types   map[string]*Type      `json:"types"`
	Enums   map[string]*Enum      `json:"enums"`
	Actions map[string][]Property `json:"actions"`
}

// Type is an entity or complex type.
type Type struct {
	Kind       string              `json:"kind"`
	Base       string              `json:"base"`
	Abstract   bool                `json:"abstract"`
	Open       bool                `json:"open"`
	Properties map[string]Property `json:"properties"`
	Navigation map[string]Property `json:"navigation"`
}

// Property is a structural or navigation property, or an action parameter.
type Property struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Collection bool   `json:"collection"`
	Nullable   bool   `json:"nullable"`
}

// Enum is an enum type's members.
type Enum struct {
	Flags   bool     `json:"flags"`
	Members []string `json:"members"`
}

var (
	loadOnce sync.Once
	loaded   map[string]*Contract
	loadErr  error
)

// For returns the contract of a cloud: "Prod" (global), "Fairfax" (US
// Government) or "Mooncake" (China).
func For(cloud string) (*Contract, error) {
	loadOnce.Do(func() {
		loaded = map[string]*Contract{}
		for _, c := range []string{"Prod", "Fairfax", "Mooncake"} {
			raw, err := files.ReadFile("testdata/v1.0-" + c + ".json")
			if err != nil {
				loadErr = err
				return
			}
			var k Contract
			if err := json.Unmarshal(raw, &k); err != nil {
				loadErr = fmt.Errorf("%s: %w", c, err)
				return
			}
			loaded[c] = &k
		}
	})
	if loadErr != nil {
		return nil, loadErr
	}
	c, ok := loaded[cloud]
	if !ok {
		return nil, fmt.Errorf("no contract for cloud %q", cloud)
	}
	return c, nil
}

// Exception is a property that Microsoft's own v1.0 examples send although
// the CSDL does not list it: allowed in request bodies only.
type Exception struct {
	Type, Property, Why string
}

// RequestExceptions are the documented forms outside the CSDL. Each is what
// the v1.0 create page's examples send for adminAdd; nothing else is allowed.
var RequestExceptions = []Exception{
	{"accessPackageAssignment", "targetId", "the create page's adminAdd examples name the target by id on the assignment"},
	{"accessPackageAssignment", "assignmentPolicyId", "the create page's examples name the policy by id on the assignment"},
	{"accessPackageAssignment", "accessPackageId", "the create page's examples name the package by id on the assignment"},
}

// Direction says whose body is checked: Graph's answer (strict: exact enum
// spelling, no exceptions) or a client's request (enums in any case, as
// Graph reads them, and the documented exceptions).
type Direction int

const (
	Response Direction = iota
	Request
)

// Check validates a JSON object against a type and returns what is wrong,
// each as "path: problem".
func (c *Contract) Check(typ string, body map[string]any, dir Direction) []string {
	var v checker
	v.c, v.dir = c, dir
	v.object("$", typ, body)
	sort.Strings(v.out)
	return v.out
}

// CheckAction validates the body of a bound action's call.
func (c *Contract) CheckAction(bound, action string, body map[string]any) []string {
	params, ok := c.Actions[bound+"."+action]
	if !ok {
		return []string{fmt.Sprintf("$: %s has no action %s in this cloud", bound, action)}
	}
	var v checker
	v.c, v.dir = c, Request
	byName := map[string]Property{}
	for _, p := range params {
		byName[p.Name] = p
	}
	for k, val := range body {
		p, ok := byName[k]
		if !ok {
			v.addf("$.%s: not a parameter of %s", k, action)
			continue
		}
		v.value("$."+k, p, val)
	}
	sort.Strings(v.out)
	return v.out
}

type checker struct {
	c   *Contract
	dir Direction
	out []string
}

func (v *checker) addf(format string, args ...any) {
	v.out = append(v.out, fmt.Sprintf(format, args...))
}

// lookup finds a property on a type or its base types.
func (v *checker) lookup(typ, name string) (Property, bool, bool) {
	for t := v.c.Types[typ]; t != nil; t = v.c.Types[t.Base] {
		if p, ok := t.Properties[name]; ok {
			return p, false, true
		}
		if p, ok := t.Navigation[name]; ok {
			return p, true, true
		}
		if t.Base == "" {
			break
		}
	}
	return Property{}, false, false
}

// derives says whether typ is base or derives from it.
func (v *checker) derives(typ, base string) bool {
	for t := typ; t != ""; {
		if t == base {
			return true
		}
		tt := v.c.Types[t]
		if tt == nil {
			return false
		}
		t = tt.Base
	}
	return false
}

func (v *checker) object(path, typ string, body map[string]any) {
	if ot, ok := body["@odata.type"].(string); ok {
		derived := strings.TrimPrefix(ot, "#microsoft.graph.")
		if _, known := v.c.Types[derived]; !known || !v.derives(derived, typ) {
			v.addf("%s: @odata.type %s is not %s or a type derived from it", path, ot, typ)
			return
		}
		typ = derived
	}
	t := v.c.Types[typ]
	if t == nil {
		return // a navigation target outside the trimmed contract: not checked
	}
	for k, val := range body {
		if strings.HasPrefix(k, "@") || strings.Contains(k, "@odata.") {
			continue // annotations
		}
		p, nav, ok := v.lookup(typ, k)
		if !ok {
			if v.dir == Request && v.excepted(typ, k) {
				continue
			}
			if !t.Open {
				v.addf("%s.%s: %s has no property %s", path, k, typ, k)
			}
			continue
		}
		_ = nav
		v.value(path+"."+k, p, val)
	}
}

func (v *checker) excepted(typ, name string) bool {
	for _, e := range RequestExceptions {
		if v.derives(typ, e.Type) && e.Property == name {
			return true
		}
	}
	return false
}

func (v *checker) value(path string, p Property, val any) {
	if val == nil {
		if !p.Nullable && !p.Collection {
			v.addf("%s: null, but the property is not nullable", path)
		}
		return
	}
	if p.Collection {
		arr, ok := val.([]any)
		if !ok {
			v.addf("%s: %T, want a collection", path, val)
			return
		}
		one := p
		one.Collection = false
		for i, x := range arr {
			v.value(fmt.Sprintf("%s[%d]", path, i), one, x)
		}
		return
	}
	if e := v.c.Enums[p.Type]; e != nil {
		s, ok := val.(string)
		if !ok {
			v.addf("%s: %T, want a %s member", path, val, p.Type)
			return
		}
		parts := []string{s}
		if e.Flags {
			parts = strings.Split(s, ",")
		}
		for _, part := range parts {
			if !v.member(e, strings.TrimSpace(part)) {
				v.addf("%s: %q is not a member of %s", path, s, p.Type)
			}
		}
		return
	}
	if _, ok := v.c.Types[p.Type]; ok {
		m, ok := val.(map[string]any)
		if !ok {
			v.addf("%s: %T, want a %s object", path, val, p.Type)
			return
		}
		v.object(path, p.Type, m)
		return
	}
	if problem := primitive(p.Type, val); problem != "" {
		v.addf("%s: %s", path, problem)
	}
}

func (v *checker) member(e *Enum, s string) bool {
	for _, m := range e.Members {
		if m == s || (v.dir == Request && strings.EqualFold(m, s)) {
			return true
		}
	}
	return false
}

var (
	guidRE     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	durationRE = regexp.MustCompile(`^-?P(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$`)
	dateRE     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// primitive checks a JSON value against an Edm primitive type.
func primitive(typ string, val any) string {
	s, isString := val.(string)
	switch typ {
	case "Edm.String", "Edm.Binary":
		if !isString {
			return fmt.Sprintf("%T, want a string", val)
		}
	case "Edm.Boolean":
		if _, ok := val.(bool); !ok {
			return fmt.Sprintf("%T, want a boolean", val)
		}
	case "Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Byte":
		f, ok := val.(float64)
		if !ok || f != float64(int64(f)) {
			return fmt.Sprintf("%v, want an integer", val)
		}
	case "Edm.Double", "Edm.Single", "Edm.Decimal":
		if _, ok := val.(float64); !ok {
			return fmt.Sprintf("%T, want a number", val)
		}
	case "Edm.Guid":
		if !isString || !guidRE.MatchString(s) {
			return fmt.Sprintf("%v, want a GUID", val)
		}
	case "Edm.DateTimeOffset":
		if _, err := time.Parse(time.RFC3339Nano, s); !isString || err != nil {
			return fmt.Sprintf("%v, want an RFC 3339 date and time", val)
		}
	case "Edm.Date":
		if !isString || !dateRE.MatchString(s) {
			return fmt.Sprintf("%v, want a date", val)
		}
	case "Edm.Duration":
		if !isString || !durationRE.MatchString(s) || s == "P" || strings.HasSuffix(s, "T") {
			return fmt.Sprintf("%v, want an Edm.Duration in days and time", val)
		}
	}
	return ""
}
