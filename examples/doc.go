// Package examples embeds galshare's example manifests and the simulator
// worlds they run against (examples/sim/), for `galshare demo` and tests
// that must not depend on the working directory. The YAML files are the
// source of truth; this package only ships them inside the binary.
//
// This package is internal to the galshare command; there is no API
// compatibility promise for outside importers.
package examples
