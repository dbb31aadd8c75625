package azsim

// worldVersion is the version of the persisted world.json layout; a file with another version is refused rather
// than half-loaded.
const worldVersion = 1

// world is everything the simulator knows; it is persisted as one JSON document, so every field is exported.
type world struct {
	Version   int        `json:"version"`
	Directory *directory `json:"directory"`
	ARM       *armWorld  `json:"arm"`
	// Settings are the seed's settings, kept so a restart uses the same default lag and replication time.
	Settings SeedSettings `json:"settings"`
	// KeyVault holds the seeded vaults and their secrets (nil in worlds persisted before vaults existed).
	KeyVault *kvWorld `json:"keyVault,omitempty"`
}
