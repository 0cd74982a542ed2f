// Command gen trims Microsoft's Graph v1.0 metadata (CSDL) to the types the
// contract test checks, and records where it came from.
//
//	go run ./internal/contract/gen -in <folder with v1.0-Prod.csdl, v1.0-Fairfax.csdl, v1.0-Mooncake.csdl> \
//	    -source "microsoftgraph/msgraph-metadata, schemas/, commit f54f11b6 (2026-08-20)"
//
// It writes internal/contract/testdata/v1.0-<cloud>.json: the entity and
// complex types reachable from the roots below through structural
// properties, the types derived from the abstract ones the API uses
// polymorphically, their navigation properties, the enums, and the
// parameters of the actions bound to assignment requests and assignments.
package main

import (
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// roots are the types whose bodies the emulator answers and the provider sends.
var roots = []string{
	"accessPackageAssignmentRequest", "accessPackageAssignment", "accessPackageSubject", "accessPackage",
	"accessPackageCatalog", "accessPackageAssignmentPolicy", "user", "customExtensionCalloutInstance",
	"accessPackageQuestion", "accessPackageAnswer", "customExtensionData", "customExtensionStageSetting", "group", "directoryObject",
}

type property struct {
	Name     string `xml:"Name,attr"`
	Type     string `xml:"Type,attr"`
	Nullable string `xml:"Nullable,attr"`
}

type structured struct {
	Name       string     `xml:"Name,attr"`
	BaseType   string     `xml:"BaseType,attr"`
	Abstract   string     `xml:"Abstract,attr"`
	OpenType   string     `xml:"OpenType,attr"`
	Properties []property `xml:"Property"`
	Navigation []property `xml:"NavigationProperty"`
}

type enumType struct {
	Name    string `xml:"Name,attr"`
	Flags   string `xml:"IsFlags,attr"`
	Members []struct {
		Name string `xml:"Name,attr"`
	} `xml:"Member"`
}

type action struct {
	Name       string     `xml:"Name,attr"`
	IsBound    string     `xml:"IsBound,attr"`
	Parameters []property `xml:"Parameter"`
}

type schema struct {
	Namespace string       `xml:"Namespace,attr"`
	Entities  []structured `xml:"EntityType"`
	Complex   []structured `xml:"ComplexType"`
	Enums     []enumType   `xml:"EnumType"`
	Actions   []action     `xml:"Action"`
}

type edmx struct {
	Schemas []schema `xml:"DataServices>Schema"`
}

// Out is the trimmed contract.
type Out struct {
	Source  string               `json:"source"`
	File    string               `json:"file"`
	Types   map[string]*OutType  `json:"types"`
	Enums   map[string]*OutEnum  `json:"enums"`
	Actions map[string][]OutProp `json:"actions"`
}

type OutType struct {
	Kind       string             `json:"kind"`
	Base       string             `json:"base,omitempty"`
	Abstract   bool               `json:"abstract,omitempty"`
	Open       bool               `json:"open,omitempty"`
	Properties map[string]OutProp `json:"properties"`
	Navigation map[string]OutProp `json:"navigation,omitempty"`
}

type OutProp struct {
	Name       string `json:"name,omitempty"`
	Type       string `json:"type"`
	Collection bool   `json:"collection,omitempty"`
	Nullable   bool   `json:"nullable"`
}

type OutEnum struct {
	Flags   bool     `json:"flags,omitempty"`
	Members []string `json:"members"`
}

func main() {
	in := flag.String("in", "", "folder holding the CSDL files")
	out := flag.String("out", "internal/contract/testdata", "where to write the trimmed contracts")
	source := flag.String("source", "", "where the CSDL files came from (recorded in the output)")
	flag.Parse()
	if *in == "" || *source == "" {
		fmt.Fprintln(os.Stderr, "usage: gen -in <folder> -source <provenance> [-out <folder>]")
		os.Exit(2)
	}
	for _, cloud := range []string{"Prod", "Fairfax", "Mooncake"} {
		name := "v1.0-" + cloud + ".csdl"
		if err := trim(filepath.Join(*in, name), filepath.Join(*out, "v1.0-"+cloud+".json"), *source, name); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

func local(t string) (name string, collection bool) {
	if strings.HasPrefix(t, "Collection(") {
		t, collection = strings.TrimSuffix(strings.TrimPrefix(t, "Collection("), ")"), true
	}
	t = strings.TrimPrefix(strings.TrimPrefix(t, "graph."), "microsoft.graph.")
	return t, collection
}

func trim(inFile, outFile, source, name string) error {
	raw, err := os.ReadFile(inFile)
	if err != nil {
		return err
	}
	var doc edmx
	if err := xml.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s: %w", inFile, err)
	}
	types := map[string]*structured{}
	kinds := map[string]string{}
	enums := map[string]*enumType{}
	var actions []action
	for _, s := range doc.Schemas {
		if s.Namespace != "microsoft.graph" {
			continue
		}
		for i := range s.Entities {
			types[s.Entities[i].Name], kinds[s.Entities[i].Name] = &s.Entities[i], "entity"
		}
		for i := range s.Complex {
			types[s.Complex[i].Name], kinds[s.Complex[i].Name] = &s.Complex[i], "complex"
		}
		for i := range s.Enums {
			enums[s.Enums[i].Name] = &s.Enums[i]
		}
		actions = append(actions, s.Actions...)
	}
	o := &Out{Source: source, File: name, Types: map[string]*OutType{}, Enums: map[string]*OutEnum{}, Actions: map[string][]OutProp{}}
	want := map[string]bool{}
	var queue []string
	add := func(n string) {
		if !want[n] {
			want[n] = true
			queue = append(queue, n)
		}
	}
	for _, r := range roots {
		add(r)
	}
	// Types derived from the roots (answers, questions, callback data).
	for n, t := range types {
		for b := t.BaseType; b != ""; {
			bn, _ := local(b)
			for _, r := range roots {
				if bn == r {
					add(n)
				}
			}
			if bt := types[bn]; bt != nil {
				b = bt.BaseType
			} else {
				b = ""
			}
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if e := enums[n]; e != nil {
			oe := &OutEnum{Flags: e.Flags == "true"}
			for _, m := range e.Members {
				oe.Members = append(oe.Members, m.Name)
			}
			o.Enums[n] = oe
			continue
		}
		t := types[n]
		if t == nil {
			continue // an Edm primitive
		}
		ot := &OutType{Kind: kinds[n], Abstract: t.Abstract == "true", Open: t.OpenType == "true", Properties: map[string]OutProp{}}
		if t.BaseType != "" {
			ot.Base, _ = local(t.BaseType)
			add(ot.Base)
		}
		for _, p := range t.Properties {
			pt, coll := local(p.Type)
			ot.Properties[p.Name] = OutProp{Type: pt, Collection: coll, Nullable: p.Nullable != "false"}
			add(pt) // structural: complex types and enums are part of the shape
		}
		for _, p := range t.Navigation {
			pt, coll := local(p.Type)
			if ot.Navigation == nil {
				ot.Navigation = map[string]OutProp{}
			}
			ot.Navigation[p.Name] = OutProp{Type: pt, Collection: coll, Nullable: p.Nullable != "false"}
		}
		o.Types[n] = ot
	}
	for _, a := range actions {
		if a.IsBound != "true" || len(a.Parameters) == 0 {
			continue
		}
		bound, _ := local(a.Parameters[0].Type)
		if bound != "accessPackageAssignmentRequest" && bound != "accessPackageAssignment" {
			continue
		}
		var ps []OutProp
		for _, p := range a.Parameters[1:] {
			pt, coll := local(p.Type)
			ps = append(ps, OutProp{Name: p.Name, Type: pt, Collection: coll, Nullable: p.Nullable != "false"})
			add(pt)
		}
		o.Actions[bound+"."+a.Name] = ps
	}
	sort.Strings(queue)
	b, err := json.MarshalIndent(o, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(outFile, append(b, '\n'), 0o644)
}
