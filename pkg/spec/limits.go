package spec

// Limits that keep hostile or broken input from costing more than a clear
// error. They are documented in README.md ("Limits").
const (
	// MaxManifestBytes is the largest manifest accepted (1 MiB). Real
	// manifests are a few KiB; even thousands of consumers fit easily.
	MaxManifestBytes = 1 << 20
	// MaxNodes bounds the YAML nodes visited, counting every alias
	// expansion, so an alias bomb ("billion laughs") stops early.
	MaxNodes = 100_000
	// MaxDepth bounds nesting; the manifest format is 6 levels deep.
	MaxDepth = 32
)
