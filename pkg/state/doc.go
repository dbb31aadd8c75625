// Package state owns galshare's state file: the record of which Azure and
// Entra objects galshare created or adopted, so that later plans can tell
// "ours" from "someone else's" and destroy deletes nothing it did not make.
//
// The file (galshare.state.json by default) is versioned JSON holding a
// lineage (a UUID fixed when the file is first written), a serial (bumped on
// every write), a reference to the manifest, the resources and a journal of
// write calls in flight. It never holds a secret value: attribute keys that
// look like secrets are refused on every write and every load.
//
// Writes are atomic (temp file in the same directory, fsync, rename, fsync of
// the directory) and keep the previous version as <path>.backup. A lock file
// (<path>.lock) serialises writers; readers (plan, show) read lock-free.
// Files that are corrupt, truncated, hand-edited into something invalid or
// written by a newer galshare are refused with a clear error and never
// overwritten.
//
// Storage is behind Backend (backend.go): the local file is one
// implementation (backend_file.go), a blob with a lease lock, ETag-checked
// writes and snapshots another (backend_blob.go over a BlobStore that
// pkg/azure implements). This package never talks to Azure itself.
//
// This package belongs to the galshare command. It makes no API-compatibility
// promise for importers outside this module.
package state
