package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Updates that arrive together are applied as one batch; one that fails, one
// that panics and one whose result is invalid are refused on their own —
// their partial changes dropped — while the others land, each caller
// learning its own outcome.
func TestBatchIsolatesFailingUpdates(t *testing.T) {
	h, p := openTemp(t)
	// Hold the leader inside a first update until the others have queued, so
	// they form one batch behind it.
	release := make(chan struct{})
	first := make(chan error, 1)
	entered := make(chan struct{})
	go func() {
		first <- h.Update(context.Background(), func(s *State) error {
			select {
			case <-entered:
			default:
				close(entered)
			}
			<-release
			return s.Put(appResource("app.first"))
		})
	}()
	<-entered

	errFn := errors.New("fn refused")
	type outcome struct {
		name string
		err  error
		pan  any
	}
	var wg sync.WaitGroup
	out := make(chan outcome, 8)
	run := func(name string, fn func(*State) error) {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					out <- outcome{name: name, pan: p}
				}
			}()
			out <- outcome{name: name, err: h.Update(context.Background(), fn)}
		})
	}
	for i := range 3 {
		run(fmt.Sprintf("good%d", i), put(appResource(fmt.Sprintf("app.good%d", i))))
	}
	run("fails", func(s *State) error {
		_ = s.Put(appResource("app.partial")) // a partial change before the error: must not land
		return errFn
	})
	run("panics", func(s *State) error {
		_ = s.Put(appResource("app.panicked"))
		panic("boom")
	})
	run("invalid", func(s *State) error {
		s.Resources = append(s.Resources, Resource{Address: "app.bad", Type: TypeApplication, Origin: "stolen"})
		return nil
	})
	waitQueued(t, h, 6)
	close(release)
	wg.Wait()
	close(out)
	if err := <-first; err != nil {
		t.Fatalf("first update: %v", err)
	}
	got := map[string]outcome{}
	for o := range out {
		got[o.name] = o
	}
	for i := range 3 {
		if o := got[fmt.Sprintf("good%d", i)]; o.err != nil || o.pan != nil {
			t.Errorf("good%d: %+v", i, o)
		}
	}
	if o := got["fails"]; !errors.Is(o.err, errFn) {
		t.Errorf("fails: %+v, want its own error", o)
	}
	if o := got["panics"]; o.pan != "boom" {
		t.Errorf("panics: %+v, want the panic re-raised in its caller", o)
	}
	if o := got["invalid"]; o.err == nil {
		t.Errorf("invalid: accepted")
	}
	s, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"app.first", "app.good0", "app.good1", "app.good2"}
	if got := s.Addresses(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("on disk: %v, want %v", got, want)
	}
	// The six queued updates went in one write after the first one's.
	if s.Serial != 2 {
		t.Errorf("serial %d, want 2 (the first update's write, then one for the batch)", s.Serial)
	}
}

// waitQueued waits until n updates wait behind the leader.
func waitQueued(t *testing.T, h *Handle, n int) {
	t.Helper()
	for range 5000 {
		h.mu.Lock()
		q := len(h.queue)
		h.mu.Unlock()
		if q >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("fewer than %d updates queued", n)
}
