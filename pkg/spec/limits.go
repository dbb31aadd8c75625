package spec

// Limits that keep hostile or broken input from costing more than a clear
// error. They are documented in README.md ("Limits").
const (
	// MaxManifestBytes is the largest manifest accepted (8 MiB). A fleet
	// manifest costs about 275 bytes per consumer (10,000 consumers are
	// 2.75 MB), so 20,000 consumers (5.5 MB) fit with margin, while the
	// YAML parser's own memory for a hostile file stays bounded.
	MaxManifestBytes = 8 << 20
	// MaxManifestMiB is MaxManifestBytes for messages.
	MaxManifestMiB = MaxManifestBytes >> 20
	// MinNodes is the YAML node budget of any manifest, however small:
	// every real manifest of up to ~1 MiB fits in it.
	MinNodes = 100_000
	// BytesPerNode sets the node budget of larger manifests: one node per
	// BytesPerNode input bytes. Real manifests spend about 14 bytes per
	// node (10,000 consumers: ~200,000 nodes in 2.75 MB), so a budget of
	// bytes/4 leaves them 3.5× headroom, while an alias bomb ("billion
	// laughs"), which expands a few bytes into millions of nodes, still
	// stops after at most as much work as a legitimate manifest of its own
	// size would cost.
	BytesPerNode = 4
	// MaxDepth bounds nesting; the manifest format is 6 levels deep.
	MaxDepth = 32
)

// MaxNodesFor is the budget of YAML nodes visited, counting every alias
// expansion, for a manifest of size bytes: proportional to the input so
// that expansion can never cost more than reading a file of the same size,
// with a floor of MinNodes.
func MaxNodesFor(size int) int {
	return max(MinNodes, size/BytesPerNode)
}
