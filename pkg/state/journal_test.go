package state

import (
	"errors"
	"testing"
	"time"
)

// TestJournalRoundTrip follows the executor's protocol: begin (written
// before the call), then record the result and end in one write. A crash
// between the two leaves the entry on disk for the next run.
func TestJournalRoundTrip(t *testing.T) {
	h, p := openTemp(t)
	ctx := t.Context()
	entry := JournalEntry{Address: "app.myGalleryApp.secret[primary]", Type: TypePassword, Tenant: "t1",
		Operation: OpCreate, Intent: map[string]string{"displayName": "Shared image gallery cross-tenant app secret"}}
	var id string
	if err := h.Update(ctx, func(s *State) (err error) {
		id, err = s.BeginJournal(entry)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Fatal("BeginJournal returned no id")
	}

	// "Crash": read the file as the next run would.
	s, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	open := s.OpenJournal("app.myGalleryApp.secret[primary]")
	if len(open) != 1 || open[0].ID != id || open[0].Operation != OpCreate || open[0].StartedAt.IsZero() ||
		open[0].Intent["displayName"] != entry.Intent["displayName"] {
		t.Fatalf("journal after begin: %+v", open)
	}
	if len(s.OpenJournal("sp[other]")) != 0 || len(s.OpenJournal("")) != 1 {
		t.Fatal("OpenJournal filter is wrong")
	}

	if err := h.Update(ctx, func(s *State) error {
		if err := s.Put(Resource{Address: entry.Address, Type: TypePassword, Tenant: "t1", ID: "key-1",
			Origin: OriginCreated, Attributes: map[string]string{"hint": "abc", "endDateTime": "2027-01-01T00:00:00Z"}}); err != nil {
			return err
		}
		return s.EndJournal(id)
	}); err != nil {
		t.Fatal(err)
	}
	s, err = Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Journal) != 0 {
		t.Fatalf("journal not cleared: %+v", s.Journal)
	}
	if r, ok := s.Get(entry.Address); !ok || r.ID != "key-1" {
		t.Fatalf("result not recorded: %+v", r)
	}
}

func TestJournalErrors(t *testing.T) {
	s := &State{Version: CurrentVersion}
	if err := s.EndJournal("nope"); !errors.Is(err, ErrNoJournalEntry) {
		t.Fatalf("EndJournal(unknown) = %v", err)
	}
	fixed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	id, err := s.BeginJournal(JournalEntry{ID: "j1", Address: "a", Operation: OpDelete, StartedAt: fixed})
	if err != nil || id != "j1" || !s.Journal[0].StartedAt.Equal(fixed) {
		t.Fatalf("BeginJournal with id: %q %v %+v", id, err, s.Journal)
	}
	for name, e := range map[string]JournalEntry{
		"duplicate id":   {ID: "j1", Address: "a", Operation: OpCreate},
		"no address":     {Operation: OpCreate},
		"no operation":   {Address: "a"},
		"bad operation":  {Address: "a", Operation: "DROP TABLE"},
		"secret intent":  {Address: "a", Operation: OpCreate, Intent: map[string]string{"clientSecret": "x"}},
		"password value": {Address: "a", Operation: OpCreate, Intent: map[string]string{"password": "x"}},
	} {
		if _, err := s.BeginJournal(e); err == nil {
			t.Errorf("%s: BeginJournal accepted %+v", name, e)
		}
	}
	if len(s.Journal) != 1 {
		t.Fatalf("refused entries were added: %d entries", len(s.Journal))
	}
}
