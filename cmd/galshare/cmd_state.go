package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/galshare/galshare/pkg/state"
	"github.com/galshare/galshare/pkg/termtext"
)

// newStateCmd groups the commands that inspect the state file and break a
// stale lock. None of them talks to Azure.
func newStateCmd(a *app) *cobra.Command {
	sf := &stateFlags{state: stateFlag{value: state.DefaultPath}}
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Inspect the state (list, show, pull, versions), break a stale lock (unlock), restore or move it (restore, migrate)",
		Long: `The state records what galshare created or adopted (ids, keyIds, hints,
expiry dates; never a secret value) so that plans can tell galshare's objects
from everyone else's and destroy deletes only what galshare made.

The state is a local file (--state PATH, default galshare.state.json) or a blob
shared by every runner (the manifest's state.url, or --state URL; give the
manifest with --manifest to use its state.url and its publisher tenant's
sign-in).

list, show, pull and versions read the state without taking the lock, so they
work while an apply runs. unlock breaks a lock left behind by a run that was
killed.`,
		Example: `  galshare state list
  galshare state show 'sp[fabrikam]'
  galshare state unlock 1b4e28ba-2fa1-11d2-883f-0016d3cca427
  galshare state versions --manifest galshare.yaml
  galshare state migrate --to https://contosostate.blob.core.windows.net/galshare/prod.state.json`,
	}
	sf.register(cmd.PersistentFlags())
	cmd.AddCommand(
		newStateListCmd(a, sf),
		newStateShowCmd(a, sf),
		newStateUnlockCmd(a, sf),
		newStatePullCmd(a, sf),
		newStateVersionsCmd(a, sf),
		newStateRestoreCmd(a, sf),
		newStateMigrateCmd(a, sf),
	)
	return cmd
}

// stateListJSON is the shape of `galshare state list --json`.
type stateListJSON struct {
	Path      string               `json:"path"`
	Exists    bool                 `json:"exists"`
	Lineage   string               `json:"lineage"`
	Serial    int64                `json:"serial"`
	Manifest  state.ManifestRef    `json:"manifest"`
	Lock      *state.LockInfo      `json:"lock"`
	Resources []stateListItem      `json:"resources"`
	Journal   []state.JournalEntry `json:"journal"`
}

type stateListItem struct {
	Address string       `json:"address"`
	Type    string       `json:"type"`
	Tenant  string       `json:"tenant"`
	ID      string       `json:"id"`
	Origin  state.Origin `json:"origin"`
}

func newStateListCmd(a *app, sf *stateFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "List the addresses recorded in the state, one per line",
		Long: `list prints every address in the state, sorted, one per line, so it pipes
into grep and xargs. Notes about a missing file, a held lock or write calls
whose outcome is unknown go to stderr.`,
		Example: `  galshare state list
  galshare state list --state prod.state.json --json | jq -r '.resources[].address'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			be, err := sf.backend(cmd.Context(), a)
			if err != nil {
				return err
			}
			path := be.String()
			s, err := state.ReadFrom(cmd.Context(), be)
			if err != nil {
				return err
			}
			lock, lockErr := be.ReadLock(cmd.Context())
			if lockErr != nil {
				a.log.Warn("cannot read the state lock", "error", lockErr)
			}
			if asJSON {
				return writeStateListJSON(a.stdout, path, s, lock)
			}
			if !s.Exists() {
				what := "state file"
				if isStateURL(path) {
					what = "state"
				}
				termtext.Fprintf(a.stderr, "No %s at %s: galshare has not recorded anything yet.\n", what, path)
				return nil
			}
			for _, addr := range s.Addresses() {
				fmt.Fprintln(a.stdout, termtext.Escape(addr))
			}
			if n := len(s.Journal); n > 0 {
				calls := statePlural(n, "write call", "write calls")
				if lock != nil {
					termtext.Fprintf(a.stderr, "Note: %s in flight in the run holding the lock (or left by it, if it stopped).\n", calls)
				} else {
					termtext.Fprintf(a.stderr, "Note: %s in flight when the last run stopped, outcome unknown; the next plan checks Azure (galshare state show ADDRESS for details).\n", calls)
				}
			}
			if lock != nil {
				termtext.Fprintf(a.stderr, "Note: the state is locked by %s (operation %q, since %s, lock ID %s).\n",
					lock.Who, lock.Operation, lock.Created.UTC().Format(time.RFC3339), lock.ID)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false,
		"print {path, exists, lineage, serial, manifest, lock, resources: [{address, type, tenant, id, origin}], journal}")
	return cmd
}

func writeStateListJSON(w io.Writer, path string, s *state.State, lock *state.LockInfo) error {
	out := stateListJSON{
		Path: path, Exists: s.Exists(), Lineage: s.Lineage, Serial: s.Serial, Manifest: s.Manifest, Lock: lock,
		Resources: []stateListItem{}, Journal: s.OpenJournal(""),
	}
	if out.Journal == nil {
		out.Journal = []state.JournalEntry{}
	}
	for _, addr := range s.Addresses() {
		r, _ := s.Get(addr)
		out.Resources = append(out.Resources, stateListItem{Address: r.Address, Type: r.Type, Tenant: r.Tenant, ID: r.ID, Origin: r.Origin})
	}
	return writeStateJSON(w, out)
}

// stateShowJSON is the shape of `galshare state show --json`.
type stateShowJSON struct {
	state.Resource
	// InFlight lists journal entries for this address: write calls whose
	// outcome was not recorded.
	InFlight []state.JournalEntry `json:"inFlight"`
}

func newStateShowCmd(a *app, sf *stateFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show [--json] ADDRESS",
		Short: "Show everything the state records about one address",
		Long: `show prints one resource: its type, tenant, Azure or Graph id, whether galshare
created it (destroy may delete it) or adopted it (never deleted), its
attributes and any write call on it whose outcome is unknown.

Quote addresses in the shell: they contain brackets.`,
		Example: `  galshare state show app.myGalleryApp
  galshare state show --json 'sp[fabrikam]'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			be, err := sf.backend(cmd.Context(), a)
			if err != nil {
				return err
			}
			s, err := state.ReadFrom(cmd.Context(), be)
			if err != nil {
				return err
			}
			addr := args[0]
			r, ok := s.Get(addr)
			inFlight := s.OpenJournal(addr)
			if !ok && len(inFlight) == 0 {
				return stateNotFound(be.String(), s, addr)
			}
			if asJSON {
				if inFlight == nil {
					inFlight = []state.JournalEntry{}
				}
				if !ok {
					r.Address = addr
				}
				return writeStateJSON(a.stdout, stateShowJSON{Resource: r, InFlight: inFlight})
			}
			writeStateShowText(a.stdout, addr, r, ok, inFlight)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the resource as JSON, with inFlight journal entries")
	return cmd
}

// stateNotFound explains a missing address, suggesting near matches.
func stateNotFound(path string, s *state.State, addr string) error {
	if !s.Exists() {
		return fmt.Errorf("no state file at %s, so nothing is recorded for %s", path, addr)
	}
	var near []string
	for _, c := range s.Addresses() {
		if strings.Contains(strings.ToLower(c), strings.ToLower(addr)) || strings.Contains(strings.ToLower(addr), strings.ToLower(c)) {
			near = append(near, c)
		}
	}
	msg := fmt.Sprintf("no resource at address %s in %s", addr, path)
	if len(near) > 0 {
		return fmt.Errorf("%s; did you mean %s?", msg, strings.Join(near, ", "))
	}
	return fmt.Errorf("%s; `galshare state list` shows the recorded addresses", msg)
}

func writeStateShowText(w io.Writer, addr string, r state.Resource, found bool, inFlight []state.JournalEntry) {
	termtext.Fprintf(w, "# %s\n", addr)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	if found {
		origin := string(r.Origin)
		switch r.Origin {
		case state.OriginCreated:
			origin += " (galshare made it; destroy deletes it)"
		case state.OriginAdopted:
			origin += " (existed before; galshare never deletes it)"
		}
		termtext.Fprintf(tw, "type\t= %s\n", r.Type)
		termtext.Fprintf(tw, "tenant\t= %s\n", r.Tenant)
		termtext.Fprintf(tw, "id\t= %s\n", r.ID)
		termtext.Fprintf(tw, "origin\t= %s\n", origin)
		created := r.CreatedAt.UTC().Format(time.RFC3339)
		if r.CreatedBy != "" {
			created += " by " + r.CreatedBy
		}
		termtext.Fprintf(tw, "created\t= %s\n", created)
		termtext.Fprintf(tw, "updated\t= %s\n", r.UpdatedAt.UTC().Format(time.RFC3339))
		for _, k := range slices.Sorted(maps.Keys(r.Attributes)) {
			termtext.Fprintf(tw, "attributes.%s\t= %s\n", k, r.Attributes[k])
		}
	} else {
		termtext.Fprintf(tw, "status\t= not recorded yet\n")
	}
	tw.Flush()
	for _, e := range inFlight {
		termtext.Fprintf(w, "in flight: %s started %s (journal %s); its outcome is unknown, the next plan checks Azure\n",
			e.Operation, e.StartedAt.UTC().Format(time.RFC3339), e.ID)
	}
}

func newStateUnlockCmd(a *app, sf *stateFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "unlock LOCK_ID",
		Short: "Break the state lock left behind by a run that no longer runs",
		Long: `unlock removes the state lock (for a blob state: breaks the lease on the lock
blob), but only if LOCK_ID names the current lock, so an
old or mistyped id never breaks a lock another run has just taken. The id is in
the "state is locked" error and in 'galshare state list'.

Only break a lock when you know the run holding it has stopped: two runs
writing one state can leave duplicated or orphaned objects in Azure.`,
		Example: `  galshare state unlock 1b4e28ba-2fa1-11d2-883f-0016d3cca427
  galshare state unlock --state prod.state.json 1b4e28ba-2fa1-11d2-883f-0016d3cca427`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			be, err := sf.backend(ctx, a)
			if err != nil {
				return err
			}
			path := be.String()
			info, _ := be.ReadLock(ctx)
			if err := be.Unlock(ctx, args[0]); err != nil {
				if errors.Is(err, state.ErrNotLocked) {
					return fmt.Errorf("%s is not locked; nothing to do", path)
				}
				return err
			}
			a.log.Info("state lock removed", "path", path, "id", args[0])
			if info != nil {
				termtext.Fprintf(a.stdout, "Removed lock %s on %s (held by %s, operation %q, since %s).\n",
					info.ID, path, info.Who, info.Operation, info.Created.UTC().Format(time.RFC3339))
			} else {
				termtext.Fprintf(a.stdout, "Removed lock %s on %s.\n", args[0], path)
			}
			return nil
		},
	}
}

func writeStateJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

func statePlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
