// Package fixture builds the emulator's shipped fixture, fixture.json beside
// this file, into the programs that import it: the released emulator runs
// from any folder with it. fixture.json stays the one source, which the
// examples, the demo and the tests read as a file too.
package fixture

import _ "embed" // for go:embed

// JSON is the text of fixture.json.
//
//go:embed fixture.json
var JSON []byte
