package examples

import (
	"embed"
	"fmt"
)

// files holds the quickstart manifest and its simulator world, so that
// `galshare demo` runs from a bare binary (go install, a release download)
// with no checkout around it.
//
//go:embed quickstart.yaml sim/quickstart.yaml
var files embed.FS

// QuickstartManifest returns examples/quickstart.yaml, the documented
// procedure as a manifest.
func QuickstartManifest() []byte { return mustRead("quickstart.yaml") }

// QuickstartSeed returns examples/sim/quickstart.yaml, the simulator world
// the quickstart manifest refers to.
func QuickstartSeed() []byte { return mustRead("sim/quickstart.yaml") }

// mustRead returns a copy of an embedded file; a missing one is a build
// mistake (the go:embed line and the names here disagree).
func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("examples: embedded %s: %v", name, err))
	}
	return b
}
