package state_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/galshare/galshare/pkg/state"
)

// Example shows the executor's protocol around one Azure write call:
// journal first, call, then record the result and close the journal entry
// in the same write.
func Example() {
	dir, _ := os.MkdirTemp("", "galshare-state-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	h, err := state.Open(ctx, filepath.Join(dir, state.DefaultPath), state.LockOptions{Operation: "apply"})
	if err != nil {
		log.Fatal(err) // a *state.LockedError names the holder and how to unlock
	}
	defer h.Close()

	var jid string
	err = h.Update(ctx, func(s *state.State) (err error) {
		jid, err = s.BeginJournal(state.JournalEntry{
			Address: "sp[fabrikam]", Type: state.TypeServicePrincipal, Tenant: "22222222-2222-2222-2222-222222222222",
			Operation: state.OpCreate, Intent: map[string]string{"appId": "3c1e0b6a-0000-4000-8000-000000000001"},
		})
		return err
	})
	if err != nil {
		log.Fatal(err)
	}

	// … the Graph call that creates the service principal goes here …

	err = h.Update(ctx, func(s *state.State) error {
		if err := s.Put(state.Resource{
			Address: "sp[fabrikam]", Type: state.TypeServicePrincipal, Tenant: "22222222-2222-2222-2222-222222222222",
			ID: "9f0e7c1a-0000-4000-8000-000000000003", Origin: state.OriginCreated,
			Attributes: map[string]string{"appId": "3c1e0b6a-0000-4000-8000-000000000001"},
		}); err != nil {
			return err
		}
		return s.EndJournal(jid)
	})
	if err != nil {
		log.Fatal(err)
	}

	s := h.State()
	fmt.Println(s.Serial, s.Addresses(), len(s.Journal))
	// Output: 2 [sp[fabrikam]] 0
}
