package emulator

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// graphError is an error that a handler answers with Graph's OData error
// envelope (the OData JSON error format). Every one has a code and a non-null message: the Go
// SDK dereferences the message without a nil check.
type graphError struct {
	status  int
	code    string
	message string
	headers map[string]string
}

func (e *graphError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func errf(status int, code, format string, args ...any) *graphError {
	return &graphError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *graphError {
	return errf(400, "BadRequest", format, args...)
}

func invalidRequest(format string, args ...any) *graphError {
	return errf(400, "InvalidRequest", format, args...)
}

func notFound(kind, id string) *graphError {
	return errf(404, "ResourceNotFound", "The %s with id '%s' was not found.", kind, id)
}

// ---- $filter -------------------------------------------------------------

// A filter is a conjunction of comparisons: the subset of OData that the
// entitlement-management collections document (the list pages' $filter examples), with property paths
// and enum literals matched case-insensitively.
type comparison struct {
	path string // lower case, e.g. "accesspackage/id"
	op   string // eq ne gt ge lt le
	lit  literal
}

type literal struct {
	isNull bool
	quoted bool // a string literal ('…'), as opposed to a bare GUID or date
	str    string
	time   *time.Time
	b      *bool
	num    *float64
}

func (l literal) String() string {
	switch {
	case l.isNull:
		return "null"
	case l.time != nil:
		return l.time.Format(time.RFC3339Nano)
	case l.b != nil:
		return strconv.FormatBool(*l.b)
	case l.num != nil:
		return strconv.FormatFloat(*l.num, 'f', -1, 64)
	}
	return l.str
}

type filter []comparison

// parseFilter parses "a eq 'x' and b/c gt 2024-01-01T00:00:00Z". Parentheses
// around the whole clause or a comparison are accepted; "or" and "not" are not
// in the documented subset and are rejected like other unsupported clauses.
func parseFilter(s string, allowed map[string][]string) (filter, *graphError) {
	toks, gerr := tokenize(s)
	if gerr != nil {
		return nil, gerr
	}
	// Drop balanced parentheses: with "and" only they do not change meaning.
	depth := 0
	var flat []string
	for _, t := range toks {
		switch t {
		case "(":
			depth++
		case ")":
			depth--
			if depth < 0 {
				return nil, badRequest("Invalid filter clause: unbalanced parentheses in '%s'.", s)
			}
		default:
			flat = append(flat, t)
		}
	}
	if depth != 0 {
		return nil, badRequest("Invalid filter clause: unbalanced parentheses in '%s'.", s)
	}
	var f filter
	for i := 0; i < len(flat); {
		if i+3 > len(flat) {
			return nil, badRequest("Invalid filter clause: incomplete expression in '%s'.", s)
		}
		path, op, lit := lower(flat[i]), lower(flat[i+1]), flat[i+2]
		members, ok := allowed[path]
		if !ok {
			return nil, badRequest("Invalid filter clause: filtering on property '%s' is not supported.", flat[i])
		}
		switch op {
		case "eq", "ne", "gt", "ge", "lt", "le":
		default:
			return nil, badRequest("Invalid filter clause: operator '%s' is not supported.", flat[i+1])
		}
		l, gerr := parseLiteral(lit)
		if gerr != nil {
			return nil, gerr
		}
		if members != nil && !l.isNull {
			// An enum: Graph binds the literal to a member and refuses anything else.
			if _, gerr := normEnum(l.str, members, path); gerr != nil {
				return nil, badRequest("The string '%s' is not a valid enumerated type constant.", strings.Trim(lit, "'"))
			}
		}
		f = append(f, comparison{path: path, op: op, lit: l})
		i += 3
		if i < len(flat) {
			if lower(flat[i]) != "and" {
				return nil, badRequest("Invalid filter clause: '%s' is not supported; combine clauses with 'and'.", flat[i])
			}
			i++
			if i == len(flat) {
				return nil, badRequest("Invalid filter clause: nothing follows 'and'.")
			}
		}
	}
	return f, nil
}

// ---- the strict $filter: only what Microsoft documents --------------------

// fieldKind is the type of a filterable property, which its literal must have.
type fieldKind int

const (
	kindID       fieldKind = iota // an Edm.String holding a GUID: a quoted GUID
	kindString                    // an Edm.String: a quoted string
	kindDateTime                  // an Edm.DateTimeOffset: a bare date and time
	kindEnum                      // an enum: a quoted member name
)

// fieldSpec is a property a collection documents as filterable, with the
// operators documented for it and, for an enum, its members.
type fieldSpec struct {
	kind    fieldKind
	ops     []string
	members []string
}

var (
	eqOnly       = []string{"eq"}
	comparisons  = []string{"gt", "ge", "lt", "le"}
	opWords      = map[string]string{"eq": "Equals", "ne": "NotEquals", "gt": "GreaterThan", "ge": "GreaterThanOrEqual", "lt": "LessThan", "le": "LessThanOrEqual"}
	edmTypeNames = map[fieldKind]string{kindID: "Edm.String", kindString: "Edm.String", kindDateTime: "Edm.DateTimeOffset"}
)

// strictFilters are the filters each collection's Microsoft pages document
// (internal/DESIGN.md lists them with the pages):
//
//   - assignmentRequests: accessPackage/id (the list page's example, eq),
//     state (eq) and createdDateTime (the resource page: "Supports
//     $filter"; the list page's example is gt, and ge, lt and le are [INF]).
//   - assignments: state, accessPackage/id, assignmentPolicy/id and
//     target/objectId, each "Supports $filter (eq)" on the resource page.
//   - assignmentPolicies, accessPackages, catalogs: displayName eq (the
//     list pages' examples).
//   - users: id, userPrincipalName, mail and displayName with eq (the users
//     list page documents more; the provider uses none).
var strictFilters = map[string]map[string]fieldSpec{
	"requests": {
		"accesspackage/id": {kind: kindID, ops: eqOnly},
		"state":            {kind: kindEnum, ops: eqOnly, members: requestStates},
		"createddatetime":  {kind: kindDateTime, ops: comparisons},
	},
	"assignments": {
		"state":               {kind: kindEnum, ops: eqOnly, members: assignmentStates},
		"accesspackage/id":    {kind: kindID, ops: eqOnly},
		"assignmentpolicy/id": {kind: kindID, ops: eqOnly},
		"target/objectid":     {kind: kindID, ops: eqOnly},
	},
	"policies": {"displayname": {kind: kindString, ops: eqOnly}},
	"packages": {"displayname": {kind: kindString, ops: eqOnly}},
	"catalogs": {"displayname": {kind: kindString, ops: eqOnly}},
	"users": {
		"id": {kind: kindID, ops: eqOnly}, "userprincipalname": {kind: kindString, ops: eqOnly},
		"mail": {kind: kindString, ops: eqOnly}, "displayname": {kind: kindString, ops: eqOnly},
	},
}

// invalidFilter is Graph's refusal of a filter it does not support: the
// code and the wording of Graph's answers quoted in public docs issues
// ("OData query is invalid: Filter 'catalogId Equals … is not supported. .").
func invalidFilter(what string) *graphError {
	return errf(400, "InvalidFilter", "OData query is invalid: Filter '%s is not supported. .", what)
}

// incompatible is ODataLib's refusal of a literal of the wrong type; the
// code is [INF] (Graph's generic BadRequest).
func incompatible(property, literal, op string) *graphError {
	return badRequest("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'.", property, literal, strings.TrimSuffix(opWords[op], "s"))
}

// literalType names a literal's Edm type, for incompatible.
func literalType(l literal) string {
	switch {
	case l.quoted:
		return "Edm.String"
	case l.time != nil:
		return "Edm.DateTimeOffset"
	case l.b != nil:
		return "Edm.Boolean"
	case l.num != nil:
		if *l.num == float64(int64(*l.num)) {
			return "Edm.Int32"
		}
		return "Edm.Double"
	case isGUID(l.str):
		return "Edm.Guid"
	}
	return "Edm.Untyped"
}

// parseStrictFilter parses a conjunction of comparisons on the documented
// properties, with their documented operators and literals of their type.
// Functions (contains, startswith, any, ...), "or" and "not" are refused as
// Graph refuses what it does not support.
func parseStrictFilter(s string, specs map[string]fieldSpec) (filter, *graphError) {
	toks, gerr := tokenize(s)
	if gerr != nil {
		return nil, gerr
	}
	var flat []string
	depth := 0
	for i, t := range toks {
		switch t {
		case "(":
			if i > 0 && toks[i-1] != "(" && toks[i-1] != ")" && !isKeyword(toks[i-1]) {
				return nil, invalidFilter(toks[i-1] + "(...)")
			}
			depth++
		case ")":
			depth--
			if depth < 0 {
				return nil, badRequest("Invalid filter clause: unbalanced parentheses in '%s'.", s)
			}
		default:
			flat = append(flat, t)
		}
	}
	if depth != 0 {
		return nil, badRequest("Invalid filter clause: unbalanced parentheses in '%s'.", s)
	}
	var f filter
	for i := 0; i < len(flat); {
		if k := lower(flat[i]); k == "not" || k == "or" {
			return nil, invalidFilter(flat[i])
		}
		if i+3 > len(flat) {
			return nil, badRequest("Invalid filter clause: incomplete expression in '%s'.", s)
		}
		path, op, raw := lower(flat[i]), lower(flat[i+1]), flat[i+2]
		if _, known := opWords[op]; !known {
			return nil, badRequest("Invalid filter clause: '%s' is not a comparison operator.", flat[i+1])
		}
		spec, ok := specs[path]
		if !ok || !slices.Contains(spec.ops, op) {
			return nil, invalidFilter(fmt.Sprintf("%s %s %s", flat[i], opWords[op], strings.Trim(raw, "'")))
		}
		l, gerr := parseLiteral(raw)
		if gerr != nil {
			return nil, gerr
		}
		if !l.isNull {
			switch spec.kind {
			case kindID:
				if !l.quoted {
					return nil, incompatible(edmTypeNames[spec.kind], literalType(l), op)
				}
				if !isGUID(l.str) {
					// [INF] Graph refuses an id that is not a GUID (Graph's ids are GUIDs).
					return nil, badRequest("Invalid filter clause: '%s' is not a valid id for %s.", l.str, flat[i])
				}
			case kindString:
				if !l.quoted {
					return nil, incompatible(edmTypeNames[spec.kind], literalType(l), op)
				}
			case kindDateTime:
				if l.time == nil {
					return nil, incompatible(edmTypeNames[spec.kind], literalType(l), op)
				}
			case kindEnum:
				if !l.quoted {
					return nil, incompatible("microsoft.graph."+path, literalType(l), op)
				}
				if _, gerr := normEnum(l.str, spec.members, path); gerr != nil {
					return nil, badRequest("The string '%s' is not a valid enumerated type constant.", l.str)
				}
			}
		}
		f = append(f, comparison{path: path, op: op, lit: l})
		i += 3
		if i < len(flat) {
			switch lower(flat[i]) {
			case "and":
			case "or":
				return nil, invalidFilter("... Or ...")
			default:
				return nil, badRequest("Invalid filter clause: '%s' is not supported; combine clauses with 'and'.", flat[i])
			}
			i++
			if i == len(flat) {
				return nil, badRequest("Invalid filter clause: nothing follows 'and'.")
			}
		}
	}
	return f, nil
}

func isKeyword(t string) bool {
	switch lower(t) {
	case "and", "or", "not":
		return true
	}
	return false
}

func tokenize(s string) ([]string, *graphError) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case ' ', '\t':
			i++
		case '(', ')':
			toks = append(toks, string(c))
			i++
		case '\'':
			var b strings.Builder
			b.WriteByte('\'')
			j := i + 1
			closed := false
			for j < len(s) {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b.WriteByte(s[j])
				j++
			}
			if !closed {
				return nil, badRequest("Invalid filter clause: unterminated string literal.")
			}
			toks = append(toks, b.String())
			i = j
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '(' && s[j] != ')' {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

func parseLiteral(tok string) (literal, *graphError) {
	if strings.HasPrefix(tok, "'") {
		return literal{str: tok[1:], quoted: true}, nil
	}
	switch lower(tok) {
	case "null":
		return literal{isNull: true}, nil
	case "true", "false":
		b := lower(tok) == "true"
		return literal{b: &b}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, tok); err == nil {
		t = t.UTC()
		return literal{time: &t}, nil
	}
	if n, err := strconv.ParseFloat(tok, 64); err == nil {
		return literal{num: &n}, nil
	}
	// OData v4 also accepts bare GUIDs.
	if isGUID(tok) {
		return literal{str: tok}, nil
	}
	return literal{}, badRequest("Invalid filter clause: cannot read the literal '%s'.", tok)
}

// match evaluates the filter; get returns the value at a (lower-case) path:
// a string, a *time.Time, or nil for null.
func (f filter) match(get func(path string) any) bool {
	for _, c := range f {
		if !c.holds(get(c.path)) {
			return false
		}
	}
	return true
}

func (c comparison) holds(v any) bool {
	switch x := v.(type) {
	case nil:
		switch c.op {
		case "eq":
			return c.lit.isNull
		case "ne":
			return !c.lit.isNull
		}
		return false
	case string:
		if c.lit.isNull {
			return c.op == "ne"
		}
		cmp := strings.Compare(lower(x), lower(c.lit.String()))
		return compareResult(c.op, cmp)
	case *time.Time:
		if x == nil {
			return (c.op == "eq") == c.lit.isNull
		}
		if c.lit.time == nil {
			return c.op == "ne"
		}
		return compareResult(c.op, x.Compare(*c.lit.time))
	case bool:
		if c.lit.b == nil {
			return c.op == "ne"
		}
		return compareResult(c.op, map[bool]int{true: 0, false: 1}[x == *c.lit.b])
	}
	return false
}

func compareResult(op string, cmp int) bool {
	switch op {
	case "eq":
		return cmp == 0
	case "ne":
		return cmp != 0
	case "gt":
		return cmp > 0
	case "ge":
		return cmp >= 0
	case "lt":
		return cmp < 0
	case "le":
		return cmp <= 0
	}
	return false
}

// eqValue returns the literal compared with "eq" at path, if the filter has one.
// List handlers use it to pick an index instead of scanning the whole store.
func (f filter) eqValue(path string) (string, bool) {
	for _, c := range f {
		if c.path == path && c.op == "eq" && !c.lit.isNull {
			return c.lit.String(), true
		}
	}
	return "", false
}

// ---- $expand and $select ----------------------------------------------------

type expandItem struct {
	name   string // as the caller spelled it, matched case-insensitively
	expand []expandItem
	sel    []string
}

// parseExpand reads "assignment($expand=target;$select=id),accessPackage".
func parseExpand(s string) ([]expandItem, *graphError) {
	var items []expandItem
	for _, part := range splitTop(s, ',') {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, opts := part, ""
		if i := strings.IndexByte(part, '('); i >= 0 {
			if !strings.HasSuffix(part, ")") {
				return nil, badRequest("Invalid $expand clause '%s'.", part)
			}
			name, opts = strings.TrimSpace(part[:i]), part[i+1:len(part)-1]
		}
		it := expandItem{name: name}
		for _, o := range splitTop(opts, ';') {
			o = strings.TrimSpace(o)
			if o == "" {
				continue
			}
			k, v, ok := strings.Cut(o, "=")
			if !ok {
				return nil, badRequest("Invalid $expand option '%s'.", o)
			}
			switch lower(strings.TrimSpace(k)) {
			case "$expand":
				sub, gerr := parseExpand(v)
				if gerr != nil {
					return nil, gerr
				}
				it.expand = sub
			case "$select":
				it.sel = parseSelect(v)
			default:
				return nil, badRequest("The query option '%s' is not supported inside $expand.", k)
			}
		}
		items = append(items, it)
	}
	return items, nil
}

func splitTop(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case sep:
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func parseSelect(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// applySelect keeps id, the selected properties and the expanded navigations.
// Property names match case-insensitively; the output keeps Graph's casing.
func applySelect(m map[string]any, sel []string, expanded []expandItem) map[string]any {
	if len(sel) == 0 {
		return m
	}
	keep := map[string]bool{"id": true}
	for _, s := range sel {
		keep[lower(s)] = true
	}
	for _, e := range expanded {
		keep[lower(e.name)] = true
	}
	out := map[string]any{}
	for k, v := range m {
		if keep[lower(k)] || strings.HasPrefix(k, "@odata.") {
			out[k] = v
		}
	}
	return out
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c rune) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
