package state

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// BenchmarkUpdate measures one recorded action (a Put and a durable
// write with backup) on states of growing size, sequentially and with ten
// writers at once (the executor's default parallelism).
func BenchmarkUpdate(b *testing.B) {
	for _, size := range []int{10, 1000} {
		for _, writers := range []int{1, 10} {
			b.Run(fmt.Sprintf("resources=%d/writers=%d", size, writers), func(b *testing.B) {
				p := filepath.Join(b.TempDir(), DefaultPath)
				h, err := Open(context.Background(), p, LockOptions{Operation: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				defer h.Close()
				ctx := context.Background()
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
				start := h.State().Serial
				b.ResetTimer()
				var wg sync.WaitGroup
				per := b.N/writers + 1
				for w := range writers {
					wg.Go(func() {
						for i := range per {
							r := appResource(fmt.Sprintf("app.w%d-%d", w, i))
							if err := h.Update(ctx, put(r)); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric(float64(h.State().Serial-start)/float64(per*writers), "writes/update")
			})
		}
	}
}
