package azsim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// Files in the persistence directory.
const (
	worldFile      = "world.json"
	caCertFile     = "ca.pem"
	caKeyFile      = "ca-key.pem"
	signingKeyFile = "signing-key.pem"
)

// persister writes the world to DIR/world.json atomically (temp file, fsync, rename, fsync dir). Mutations only mark
// the world dirty; a background goroutine writes it, coalescing bursts, and flush writes synchronously (Close).
type persister struct {
	dir  string
	snap func() ([]byte, error) // marshals the world under s.mu
	log  hclog.Logger

	kick chan struct{}
	done chan struct{}

	writeMu sync.Mutex // serialises writes
	errMu   sync.Mutex
	lastErr error
}

func newPersister(dir string, snap func() ([]byte, error), log hclog.Logger) *persister {
	p := &persister{dir: dir, snap: snap, log: log, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go p.loop()
	return p
}

func (p *persister) markDirty() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *persister) loop() {
	defer close(p.done)
	for range p.kick {
		if err := p.write(); err != nil {
			p.log.Error("persist simulator world", "error", err)
		}
	}
}

// stop ends the background writer without a final write.
func (p *persister) stop() {
	close(p.kick)
	<-p.done
}

// close stops the background writer and writes the world one last time.
func (p *persister) close() error {
	p.stop()
	if err := p.write(); err != nil {
		return err
	}
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return p.lastErr
}

func (p *persister) write() error {
	p.writeMu.Lock()
	defer p.writeMu.Unlock()
	data, err := p.snap()
	if err == nil {
		err = writeFileAtomic(filepath.Join(p.dir, worldFile), data, 0o600)
	}
	p.errMu.Lock()
	p.lastErr = err
	p.errMu.Unlock()
	return err
}

// writeFileAtomic replaces path with data: temp file in the same directory, fsync, rename, fsync the directory.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() { _ = os.Remove(tmp) }()
	if err := f.Chmod(mode); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// marshalWorld encodes the world for world.json. Callers hold s.mu.
func (s *Server) marshalWorld() ([]byte, error) {
	data, err := json.MarshalIndent(s.w, "", " ")
	if err != nil {
		return nil, fmt.Errorf("encode world: %w", err)
	}
	return data, nil
}

// loadWorld reads DIR/world.json; ok is false when there is none yet.
func loadWorld(dir string) (w *world, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, worldFile))
	if os.IsNotExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read world: %w", err)
	}
	w = &world{}
	if err := json.Unmarshal(data, w); err != nil {
		return nil, false, fmt.Errorf("decode %s: %w", filepath.Join(dir, worldFile), err)
	}
	if w.Version != worldVersion {
		return nil, false, fmt.Errorf("%s has version %d, want %d", filepath.Join(dir, worldFile), w.Version, worldVersion)
	}
	if w.Directory == nil {
		w.Directory = newDirectory()
	}
	return w, true, nil
}
