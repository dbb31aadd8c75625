package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/galshare/galshare/internal/azurite"
	"github.com/galshare/galshare/pkg/azure"
)

// These tests run the blob backend against a real Azurite (one per test,
// on a free loopback port); internal/azurite installs it on first use.

// blobEnv is the Azurite the blob tests use and the size from which the
// store writes block lists (1: always, 0: the default, 256 KiB).
type blobEnv struct {
	*azurite.Server
	blocksOver int
}

// TestBlob runs the blob backend's tests against one Azurite, with whole
// uploads and with block-list writes.
func TestBlob(t *testing.T) {
	srv := azurite.Start(t)
	for mode, over := range map[string]int{"upload": 0, "blocks": 1} {
		t.Run(mode, func(t *testing.T) { testBlobAll(t, blobEnv{srv, over}) })
	}
}

func testBlobAll(t *testing.T, srv blobEnv) {
	for name, test := range map[string]func(*testing.T, blobEnv){
		"LargeStateRoundTrips":                     testBlobLargeStateRoundTrips,
		"RoundTripCreatesContainer":                testBlobRoundTripCreatesContainer,
		"LockNamesHolderAndUnlockBreaksIt":         testBlobLockNamesHolderAndUnlockBreaksIt,
		"WriteRacingAnotherWriterIsRefused":        testBlobWriteRacingAnotherWriterIsRefused,
		"CorruptAndFutureAreRefusedNotOverwritten": testBlobCorruptAndFutureAreRefusedNotOverwritten,
		"VersionsAndRestore":                       testBlobVersionsAndRestore,
		"ConcurrentRunsTakeTurns":                  testBlobConcurrentRunsTakeTurns,
	} {
		t.Run(name, func(t *testing.T) { test(t, srv) })
	}
}

// blobTemp is a fresh blob state (a new container each time, created by
// the first write) on an Azurite started for t. fresh=0 makes every write
// renew the lease first, so a broken lease is noticed at the next write.
func blobTemp(t *testing.T, srv blobEnv) (*blobBackend, *azure.BlobState) {
	t.Helper()
	u := srv.BlobURL("c"+strings.ReplaceAll(uuid.NewString(), "-", "")[:20], "team/galshare.state.json")
	store, err := azure.NewBlobState(azure.BlobStateOptions{URL: u, BlockWriteOver: srv.blocksOver, LookupEnv: func(k string) (string, bool) {
		if k == azure.EnvStorageConnectionString {
			return srv.ConnectionString(), true
		}
		return "", false
	}})
	if err != nil {
		t.Fatal(err)
	}
	b := NewBlobBackend(store).(*blobBackend)
	b.fresh = 0
	return b, store
}

func openBlob(t *testing.T, b Backend, op string) *Handle {
	t.Helper()
	h, err := OpenBackend(t.Context(), b, LockOptions{Operation: op, Who: "tester"})
	if err != nil {
		t.Fatalf("OpenBackend: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func testBlobRoundTripCreatesContainer(t *testing.T, srv blobEnv) {
	b, _ := blobTemp(t, srv)
	ctx := t.Context()
	s, err := ReadFrom(ctx, b)
	if err != nil || s.Exists() {
		t.Fatalf("ReadFrom before any write = %v, %v; want an empty state", s, err)
	}
	h := openBlob(t, b, "apply")
	for _, a := range []string{"app.a", "app.b"} {
		if err := h.Update(ctx, put(appResource(a))); err != nil {
			t.Fatal(err)
		}
	}
	lineage := h.State().Lineage
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFrom(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Exists() || got.Serial != 2 || got.Lineage != lineage || len(got.Resources) != 2 {
		t.Fatalf("read back serial %d lineage %q, %d resources; want 2, %q, 2", got.Serial, got.Lineage, len(got.Resources), lineage)
	}
	if lock, err := b.ReadLock(ctx); err != nil || lock != nil {
		t.Fatalf("lock after Close = %v, %v; want none", lock, err)
	}
}

// testBlobLargeStateRoundTrips writes a state big enough for block-list
// writes, changes records in its middle over several runs (one of them by
// a second store, so the first one's block cache is stale) and reads back
// exactly what was written.
func testBlobLargeStateRoundTrips(t *testing.T, srv blobEnv) {
	b, store := blobTemp(t, srv)
	ctx := t.Context()
	h := openBlob(t, b, "apply")
	if err := h.Update(ctx, func(s *State) error {
		for i := range 3000 {
			if err := s.Put(appResource(fmt.Sprintf("app.r%05d", i))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h.Close()
	other, err := azure.NewBlobState(azure.BlobStateOptions{URL: store.String(), LookupEnv: func(k string) (string, bool) {
		return srv.ConnectionString(), k == azure.EnvStorageConnectionString
	}})
	if err != nil {
		t.Fatal(err)
	}
	for run, be := range []Backend{b, NewBlobBackend(other), b} {
		h := openBlob(t, be, "apply")
		for i := range 3 {
			r := appResource(fmt.Sprintf("app.r%05d", 1000*i+run))
			r.Attributes["run"] = fmt.Sprint(run)
			if err := h.Update(ctx, put(r)); err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
		}
		want, err := encode(h.State())
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		got, _, err := store.Get(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("run %d: the blob (%d bytes) is not the state written (%d bytes)", run, len(got), len(want))
		}
	}
	if _, err := ReadFrom(ctx, b); err != nil {
		t.Fatal(err)
	}
}

func testBlobLockNamesHolderAndUnlockBreaksIt(t *testing.T, srv blobEnv) {
	b, _ := blobTemp(t, srv)
	ctx := t.Context()
	h := openBlob(t, b, "apply")
	_, err := OpenBackend(ctx, b, LockOptions{Operation: "destroy", Who: "bob"})
	var le *LockedError
	if !errors.As(err, &le) || le.Info == nil {
		t.Fatalf("second open = %v, want *LockedError with the holder", err)
	}
	host, _ := os.Hostname()
	if le.Info.ID != h.Lock().ID || le.Info.Who != "tester" || le.Info.Operation != "apply" || le.Info.Host != host || le.Info.PID != os.Getpid() {
		t.Fatalf("holder = %+v, want this run's lock %+v", *le.Info, h.Lock())
	}
	for _, want := range []string{"locked by tester", `operation "apply"`, "galshare state unlock --state " + b.String() + " " + h.Lock().ID} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if err := b.Unlock(ctx, "not-the-id"); !errors.Is(err, ErrLockMismatch) {
		t.Fatalf("Unlock(wrong id) = %v, want ErrLockMismatch", err)
	}
	if err := b.Unlock(ctx, h.Lock().ID); err != nil {
		t.Fatal(err)
	}
	// The broken run stops writing at once and says so.
	if err := h.Update(ctx, put(appResource("app.a"))); !errors.Is(err, ErrLockLost) {
		t.Fatalf("Update after unlock = %v, want ErrLockLost", err)
	}
	if err := h.Close(); !errors.Is(err, ErrLockLost) {
		t.Fatalf("Close after unlock = %v, want ErrLockLost", err)
	}
	other := openBlob(t, b, "apply")
	if err := other.Update(ctx, put(appResource("app.b"))); err != nil {
		t.Fatal(err)
	}
	if err := b.Unlock(ctx, h.Lock().ID); !errors.Is(err, ErrLockMismatch) {
		t.Fatalf("Unlock(old id) while another holds the lock = %v, want ErrLockMismatch", err)
	}
}

// testBlobWriteRacingAnotherWriterIsRefused breaks the lease under a run,
// lets a second run write, and shows the first run's write is refused by
// its ETag condition even when it skips its lease check, and the second
// run's change is kept.
func testBlobWriteRacingAnotherWriterIsRefused(t *testing.T, srv blobEnv) {
	b, _ := blobTemp(t, srv)
	ctx := t.Context()
	a := openBlob(t, b, "apply")
	if err := a.Update(ctx, put(appResource("app.a"))); err != nil {
		t.Fatal(err)
	}
	if err := b.Unlock(ctx, a.Lock().ID); err != nil {
		t.Fatal(err)
	}
	other := openBlob(t, b, "apply")
	if err := other.Update(ctx, put(appResource("app.other"))); err != nil {
		t.Fatal(err)
	}
	// Make a's lease look freshly renewed, as if the break happened
	// between its renewal and its write: only the ETag stands in the way.
	b.fresh = 1 << 62
	if err := a.Update(ctx, put(appResource("app.late"))); !errors.Is(err, ErrModified) {
		t.Fatalf("racing write = %v, want ErrModified", err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := ReadFrom(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Get("app.other"); !ok {
		t.Fatal("the other writer's change was lost")
	}
	if _, ok := s.Get("app.late"); ok {
		t.Fatal("the racing write landed")
	}
}

func testBlobCorruptAndFutureAreRefusedNotOverwritten(t *testing.T, srv blobEnv) {
	for name, content := range map[string]string{
		"corrupt": `{"version": 1, "lineage": `,
		"future":  `{"version": 99, "lineage": "x", "serial": 1}`,
		"empty":   ``,
	} {
		t.Run(name, func(t *testing.T) {
			b, store := blobTemp(t, srv)
			ctx := t.Context()
			if _, err := store.Put(ctx, []byte(content), ""); err != nil {
				t.Fatal(err)
			}
			_, err := OpenBackend(ctx, b, LockOptions{Operation: "apply"})
			var le *LoadError
			var ve *VersionError
			if !errors.As(err, &le) && !errors.As(err, &ve) {
				t.Fatalf("OpenBackend = %v, want a load or version error", err)
			}
			if le != nil && !strings.Contains(err.Error(), "galshare state versions") {
				t.Errorf("error %q does not say how to restore", err)
			}
			got, _, err := store.Get(ctx, "")
			if err != nil || string(got) != content {
				t.Fatalf("blob is now %q (%v), want it untouched", got, err)
			}
			if lock, _ := b.ReadLock(ctx); lock != nil {
				t.Fatalf("refused open left the lock %+v", lock)
			}
		})
	}
}

func testBlobVersionsAndRestore(t *testing.T, srv blobEnv) {
	b, _ := blobTemp(t, srv)
	ctx := t.Context()
	for i, addr := range []string{"app.a", "app.b", "app.c"} {
		h := openBlob(t, b, fmt.Sprintf("apply %d", i))
		if err := h.Update(ctx, put(appResource(addr))); err != nil {
			t.Fatal(err)
		}
		if err := h.Update(ctx, put(appResource(addr+"2"))); err != nil {
			t.Fatal(err)
		}
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
	}
	vs, err := b.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// One snapshot per run that replaced an existing blob: the state as
	// each run found it.
	if len(vs) != 2 {
		t.Fatalf("versions = %+v, want 2", vs)
	}
	data, err := b.ReadVersion(ctx, vs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	old, err := Decode(vs[0].ID, data)
	if err != nil {
		t.Fatal(err)
	}
	if old.Serial != 2 || len(old.Resources) != 2 {
		t.Fatalf("oldest version serial %d with %d resources, want 2 and 2", old.Serial, len(old.Resources))
	}
	h := openBlob(t, b, "restore")
	if err := h.Replace(ctx, old, false); err != nil {
		t.Fatal(err)
	}
	h.Close()
	s, err := ReadFrom(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if s.Serial != 7 || len(s.Resources) != 2 || s.Lineage != old.Lineage {
		t.Fatalf("restored serial %d, %d resources; want 7 and 2", s.Serial, len(s.Resources))
	}
}

// testBlobConcurrentRunsTakeTurns has several runs wait for one lease and
// each add its resources: none is lost.
func testBlobConcurrentRunsTakeTurns(t *testing.T, srv blobEnv) {
	b, _ := blobTemp(t, srv)
	ctx := context.Background()
	const runs = 4
	var wg sync.WaitGroup
	errs := make(chan error, runs)
	for i := range runs {
		wg.Go(func() {
			h, err := OpenBackend(ctx, b, LockOptions{Operation: "apply", Timeout: 60e9})
			if err != nil {
				errs <- err
				return
			}
			for j := range 3 {
				if err := h.Update(ctx, put(appResource(fmt.Sprintf("app.r%d-%d", i, j)))); err != nil {
					errs <- err
				}
			}
			if err := h.Close(); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s, err := ReadFrom(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Resources) != runs*3 || s.Serial != runs*3 {
		t.Fatalf("%d resources at serial %d, want %d", len(s.Resources), s.Serial, runs*3)
	}
}

// BenchmarkBlobUpdate is BenchmarkUpdate against the blob backend on
// Azurite: what one recorded action costs when the state is a blob, and
// how many bytes each write uploads (the whole state: fleet-scale applies
// want the append-only journal that issue 13 lists as a stretch).
func BenchmarkBlobUpdate(b *testing.B) {
	srv := azurite.Start(b)
	for _, size := range []int{10, 1000} {
		for _, writers := range []int{1, 10} {
			b.Run(fmt.Sprintf("resources=%d/writers=%d", size, writers), func(b *testing.B) {
				u := srv.BlobURL("c"+strings.ReplaceAll(uuid.NewString(), "-", "")[:20], "bench.state.json")
				store, err := azure.NewBlobState(azure.BlobStateOptions{URL: u, LookupEnv: func(k string) (string, bool) {
					return srv.ConnectionString(), k == azure.EnvStorageConnectionString
				}})
				if err != nil {
					b.Fatal(err)
				}
				ctx := context.Background()
				h, err := OpenBackend(ctx, NewBlobBackend(store), LockOptions{Operation: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				defer h.Close()
				if err := h.Update(ctx, func(s *State) error {
					for i := range size {
						if err := s.Put(appResource(fmt.Sprintf("app.seed%05d", i))); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				start, seeded := h.State().Serial, store.UploadedBytes()
				b.ResetTimer()
				var wg sync.WaitGroup
				per := b.N/writers + 1
				for w := range writers {
					wg.Go(func() {
						for i := range per {
							if err := h.Update(ctx, put(appResource(fmt.Sprintf("app.w%d-%d", w, i)))); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				data, _, _ := store.Get(ctx, "")
				writes := h.State().Serial - start
				b.ReportMetric(float64(writes)/float64(per*writers), "writes/update")
				b.ReportMetric(float64(len(data))/1024, "state-KiB")
				b.ReportMetric(float64(store.UploadedBytes()-seeded)/1024/float64(writes), "uploaded-KiB/write")
			})
		}
	}
}
