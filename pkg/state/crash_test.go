package state

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestKilledWriterLeavesLoadableState SIGKILLs a writer process at several
// points while it records resources one write at a time. Whatever instant
// it dies, the state must load, hold exactly the writes that completed
// (serial == resources), the backup must be loadable and one write behind
// (or equal, if killed between the two renames), and the lock
// it left must be reported stale and breakable.
func TestKilledWriterLeavesLoadableState(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses pid liveness")
	}
	for i, delay := range []time.Duration{30 * time.Millisecond, 120 * time.Millisecond, 250 * time.Millisecond} {
		t.Run(fmt.Sprint(delay), func(t *testing.T) {
			p := filepath.Join(t.TempDir(), DefaultPath)
			cmd := helperCmd(t, fmt.Sprintf("append:k%d:400", i), p)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(delay)
			cmd.Process.Kill()
			cmd.Wait()

			s, err := Read(p)
			if err != nil {
				t.Fatalf("state unreadable after kill: %v", err)
			}
			if int64(len(s.Resources)) != s.Serial {
				t.Fatalf("serial %d but %d resources: a write was torn", s.Serial, len(s.Resources))
			}
			if s.Serial > 1 {
				// Killed between refreshing the backup and renaming the
				// new state, the backup equals the state; otherwise it is
				// the write before.
				b, err := Read(p + backupSuffix)
				if err != nil || (b.Serial != s.Serial-1 && b.Serial != s.Serial) {
					t.Fatalf("backup: %v (serial %d, want %d or %d)", err, b.Serial, s.Serial-1, s.Serial)
				}
			}
			t.Logf("killed after %d writes", s.Serial)

			h, err := Open(t.Context(), p, LockOptions{})
			if err != nil {
				// Killed after taking the lock: it must be reported stale.
				var le *LockedError
				if !errors.As(err, &le) || le.Info == nil || !le.HolderGone {
					t.Fatalf("Open after kill = %v, want stale LockedError", err)
				}
				if err := Unlock(p, le.Info.ID); err != nil {
					t.Fatal(err)
				}
				if h, err = Open(t.Context(), p, LockOptions{}); err != nil {
					t.Fatalf("Open after unlock: %v", err)
				}
			} else if s.Serial > 0 {
				t.Fatal("a killed writer's lock vanished")
			}
			defer h.Close()
			if err := h.Update(t.Context(), put(appResource("app.after"))); err != nil {
				t.Fatalf("resumed write: %v", err)
			}
		})
	}
}
