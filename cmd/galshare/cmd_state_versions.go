package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// stateFlags are the `galshare state` group's flags: where the state is
// (--state, or --manifest's state.url) and how long to wait for its lock.
type stateFlags struct {
	state       stateFlag
	manifest    string
	lockTimeout time.Duration
}

func (f *stateFlags) register(fs *pflag.FlagSet) {
	f.state.register(fs)
	fs.StringVar(&f.manifest, "manifest", "", "`FILE` whose state.url names the state (and whose publisher tenant signs in to the blob)")
	fs.DurationVar(&f.lockTimeout, "lock-timeout", 0, "wait up to `DURATION` for a held state lock (restore and migrate)")
}

// backend is the state these flags name. Its Entra sign-in, for a blob
// without AZURE_STORAGE_CONNECTION_STRING or GALSHARE_STATE_SAS, uses the
// --manifest's publisher tenant with the credentials of the environment
// (GALSHARE_CREDENTIALS, GALSHARE_CLOUD, per-tenant variables).
func (f *stateFlags) backend(ctx context.Context, a *app) (state.Backend, error) {
	var m *spec.Manifest
	if f.manifest != "" {
		lm, diags, err := spec.Load(ctx, f.manifest)
		if err != nil || diags.HasErrors() {
			writeDiagnosticsText(a.stderr, diags, a.stderrColor())
			if err == nil {
				err = fmt.Errorf("--manifest %s has errors", f.manifest)
			}
			return nil, err
		}
		m = lm
	}
	loc := f.state.location(m)
	if !isStateURL(loc) || m == nil {
		return stateBackend(a, loc, nil)
	}
	conn, err := newAzureFlags().connector(a)
	if err != nil {
		return nil, err
	}
	// The connector's credential outlives Close, which only drops idle
	// connections.
	defer conn.Close()
	return stateBackend(a, loc, publisherCredential(conn, m))
}

func newStatePullCmd(a *app, sf *stateFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "pull",
		Short: "Print the state as stored (JSON), after checking it loads",
		Long: `pull prints the stored state to stdout, byte for byte, without taking the lock.
It is refused, like every read, when the state is corrupt or from a newer
galshare.`,
		Example: `  galshare state pull --manifest galshare.yaml > state.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			be, err := sf.backend(ctx, a)
			if err != nil {
				return err
			}
			data, _, err := be.Read(ctx)
			if err != nil {
				return err
			}
			if data == nil {
				return fmt.Errorf("no state at %s: galshare has not recorded anything yet", be)
			}
			if _, err := state.Decode(be.String(), data); err != nil {
				return err
			}
			_, err = a.stdout.Write(data)
			return err
		},
	}
}

func newStateVersionsCmd(a *app, sf *stateFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "versions",
		Short: "List the earlier versions of a blob state that restore can bring back",
		Long: `versions lists the kept earlier versions of a blob state, oldest first: each
run that replaced the state first kept it as it found it (a blob snapshot).
A file state keeps one previous copy, PATH.backup, instead.`,
		Example: `  galshare state versions --manifest galshare.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			be, err := sf.backend(ctx, a)
			if err != nil {
				return err
			}
			vb, ok := be.(state.Versioned)
			if !ok {
				return fmt.Errorf("%s: %w; its previous copy is %s.backup", be, state.ErrNotVersioned, be)
			}
			vs, err := vb.Versions(ctx)
			if err != nil {
				return err
			}
			if len(vs) == 0 {
				fmt.Fprintf(a.stderr, "No earlier versions of %s are kept.\n", be)
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tSERIAL\tRESOURCES\tLINEAGE")
			for _, v := range vs {
				serial, count, lineage := "?", "?", "?"
				if data, err := vb.ReadVersion(ctx, v.ID); err == nil {
					if s, err := state.Decode(v.ID, data); err == nil {
						serial, count, lineage = fmt.Sprint(s.Serial), fmt.Sprint(len(s.Resources)), s.Lineage
					} else {
						serial = "unreadable"
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.ID, serial, count, lineage)
			}
			return tw.Flush()
		},
	}
}

func newStateRestoreCmd(a *app, sf *stateFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "restore VERSION",
		Short: "Make an earlier version of a blob state the current one",
		Long: `restore takes the state lock, checks VERSION (from 'galshare state versions')
loads and has the state's lineage, and writes it as the current state with the
next serial, so plans saved before are refused as stale. The replaced state is
kept as a version itself, so a restore can be undone.`,
		Example: `  galshare state restore --manifest galshare.yaml 2026-12-04T18:46:18.2120000Z`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			be, err := sf.backend(ctx, a)
			if err != nil {
				return err
			}
			vb, ok := be.(state.Versioned)
			if !ok {
				return fmt.Errorf("%s: %w; to go back, copy %s.backup over it while no run holds the lock", be, state.ErrNotVersioned, be)
			}
			data, err := vb.ReadVersion(ctx, args[0])
			if err != nil {
				return err
			}
			old, err := state.Decode(be.String()+"@"+args[0], data)
			if err != nil {
				return err
			}
			hd, err := state.OpenBackend(ctx, be, state.LockOptions{Operation: "state restore", Timeout: sf.lockTimeout})
			if err != nil {
				return err
			}
			err = hd.Replace(ctx, old, false)
			serial := hd.State().Serial
			if cerr := hd.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Restored %s to version %s (%d resources); it is now serial %d.\n", be, args[0], len(old.Resources), serial)
			return nil
		},
	}
}

func newStateMigrateCmd(a *app, sf *stateFlags) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "migrate --to URL|PATH",
		Short: "Copy the state to another backend (file to blob or back), keeping lineage and serial",
		Long: `migrate locks the state and the destination, and copies the state there with
its lineage and serial, so saved plans stay valid against the copy. The
destination must be empty or an older copy of the same lineage. The source is
left as it is: point the manifest's state.url (or --state) at the destination,
then remove the old copy.`,
		Example: `  galshare state migrate --to https://contosostate.blob.core.windows.net/galshare/prod.state.json
  galshare state migrate --manifest galshare.yaml --to galshare.state.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return errors.New("--to names the destination: a path or a blob URL")
			}
			ctx := cmd.Context()
			src, err := sf.backend(ctx, a)
			if err != nil {
				return err
			}
			dstFlags := *sf
			dstFlags.state = stateFlag{value: to}
			dst, err := dstFlags.backend(ctx, a)
			if err != nil {
				return err
			}
			if src.String() == dst.String() {
				return fmt.Errorf("--to %s is the state itself", to)
			}
			opts := state.LockOptions{Operation: "state migrate", Timeout: sf.lockTimeout}
			from, err := state.OpenBackend(ctx, src, opts)
			if err != nil {
				return err
			}
			defer from.Close()
			s := from.State()
			if !s.Exists() {
				return fmt.Errorf("no state at %s to migrate", src)
			}
			into, err := state.OpenBackend(ctx, dst, opts)
			if err != nil {
				return err
			}
			err = into.Replace(ctx, s, true)
			if cerr := into.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("migrating to %s: %w", dst, err)
			}
			fmt.Fprintf(a.stdout, "Copied %s (lineage %s, serial %d, %d resources) to %s.\nPoint state.url (or --state) at %s, then remove the old copy.\n",
				src, s.Lineage, s.Serial, len(s.Resources), dst, dst)
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "destination `PATH or URL`")
	return cmd
}
