// Command terraform-provider-entitlement is a Terraform provider for
// Microsoft Entra entitlement management access package assignments.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/accessgov/terraform-provider-entitlement/internal/provider"
)

// version is set by the release build (-ldflags "-X main.version=…").
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/accessgov/entitlement",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
