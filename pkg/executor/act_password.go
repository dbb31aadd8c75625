package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/state"
)

// Journal intent keys of a password create or rotation. Together they let a
// later run recognise the password a crashed call may have made: same app,
// same displayName, exactly this endDateTime (chosen before the call).
const (
	intentAppObjectID = "appObjectId"
	intentDisplayName = "displayName"
	intentEndDateTime = "endDateTime"
	intentReplaces    = "replacesKeyId"
	intentKeyID       = "keyId"
)

// applyPassword adds, rotates, removes or adopts the app's client secret.
// A new secret value goes to its delivery target before anything is recorded,
// and is removed from the app at once if delivery fails.
func (r *run) applyPassword(ctx context.Context, c *planner.Change) error {
	p := c.Password
	if err := r.checkFresh(ctx, c); err != nil {
		return err
	}
	if c.Action == planner.NoOp && len(r.openJournal(c.Address.String())) == 0 {
		// Nothing to write or settle: no sign-in needed.
		app := r.out.get(p.AppAddress)
		if p.KeyID == "" {
			return nil
		}
		return r.record(ctx, c, noopPasswordResource(c, firstNonEmpty(p.AppObjectID, app.ObjectID), firstNonEmpty(p.AppID, app.AppID)))
	}
	dir, err := r.opts.Clients.Directory(ctx, c.Tenant)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Address, err)
	}
	app := r.out.get(p.AppAddress)
	appObjectID, err := pick(p.AppObjectID, app.ObjectID, "the app's object id", p.AppAddress)
	if err != nil && c.Action != planner.Delete {
		return fmt.Errorf("%s: %w", c.Address, err)
	}
	switch c.Action {
	case planner.Create, planner.Replace:
		appID, err := pick(p.AppID, app.AppID, "the app's appId", p.AppAddress)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Address, err)
		}
		return r.addPassword(ctx, c, dir, appObjectID, appID)
	case planner.Delete:
		return r.removePassword(ctx, c, dir, appObjectID)
	case planner.NoOp:
		if p.KeyID == "" {
			return nil
		}
		appID := firstNonEmpty(p.AppID, app.AppID)
		_, removed, err := r.settleJournal(ctx, c, dir, appObjectID, appID)
		if err != nil {
			return err
		}
		if removed[strings.ToLower(p.KeyID)] {
			// The plan adopted a password an interrupted run made but
			// never delivered; it was just removed, so make the delivered
			// one the plan's "exists" stands for.
			r.progress(c, "the planned password "+p.KeyID+" was never delivered; creating a new one")
			return r.addPassword(ctx, c, dir, appObjectID, appID)
		}
		return r.record(ctx, c, noopPasswordResource(c, appObjectID, appID))
	}
	return unsupported(c)
}

// noopPasswordResource is the record of an existing password the plan
// leaves alone (adopted, or known already: record keeps the richer record).
func noopPasswordResource(c *planner.Change, appObjectID, appID string) state.Resource {
	p := c.Password
	return state.Resource{
		Address: c.Address.String(), Type: state.TypePassword, Tenant: c.Tenant, ID: p.KeyID, Origin: originFor(c),
		Attributes: map[string]string{"appObjectId": appObjectID, "appId": appID, "displayName": p.DisplayName},
	}
}

func (r *run) addPassword(ctx context.Context, c *planner.Change, dir azure.Directory, appObjectID, appID string) error {
	p := c.Password
	// A run that crashed mid-call may have left a password behind: adopt it
	// if its value reached the delivery target, remove it otherwise.
	adopted, _, err := r.settleJournal(ctx, c, dir, appObjectID, appID)
	if err != nil {
		return err
	}
	if adopted != nil {
		return r.commitAndRemoveReplaced(ctx, c, dir, "", appObjectID, appID, adopted, false)
	}
	// A target that cannot be opened (a vault outside this cloud, no vault
	// access) fails before a password exists that would need removing.
	snk, err := r.sinkFor(ctx, c.Tenant, p.DeliverTo)
	if err != nil {
		return fmt.Errorf("%s: no new secret was created, its delivery target cannot be used: %w", c.Address, err)
	}

	if err := checkDeliveryTarget(p.DeliverTo, r.opts.OwnFiles); err != nil {
		return fmt.Errorf("%s: %w", c.Address, err)
	}
	now := r.opts.Now().UTC()
	end := now.Add(p.Lifetime).Truncate(time.Second)
	intent := map[string]string{
		intentAppObjectID: appObjectID,
		intentDisplayName: p.DisplayName,
		intentEndDateTime: end.Format(time.RFC3339),
	}
	op := state.OpCreate
	if c.Action == planner.Replace && p.ReplacesKeyID != "" {
		op = state.OpRotate
		intent[intentReplaces] = p.ReplacesKeyID
	}
	jid, err := r.begin(ctx, c, op, intent)
	if err != nil {
		return err
	}
	var np *azure.NewPassword
	// addPassword is not idempotent. After an answer that leaves the outcome
	// unknown (a dropped connection, a 5xx), passwords with our exact
	// endDateTime are removed before the retry, and once more after success
	// (an orphan may only have become visible by then).
	afterCreate, unknown := p.AppObjectID == "", false
	err = r.retry(ctx, c, afterCreate, "POST addPassword", func(ctx context.Context) error {
		if err := ctx.Err(); err != nil {
			return err // stopped before sending: nothing was written
		}
		// Once sent, a second Ctrl-C lets the call answer (answerGrace says
		// why): Graph makes the password anyway, and only the answer
		// carries its secret.
		actx, release := answerGrace(ctx, r.opts.AnswerGrace)
		var err error
		np, err = dir.AddPassword(actx, appObjectID, p.DisplayName, end)
		release()
		if err != nil && outcomeUnknown(err) && ctx.Err() == nil {
			unknown = true
			if cerr := r.removeOrphans(ctx, c, dir, appObjectID, p.DisplayName, end, ""); cerr != nil {
				return fmt.Errorf("%w (and removing a password it may have made failed: %v)", err, cerr)
			}
		}
		return err
	})
	if err != nil {
		r.abandon(ctx, c, jid, err)
		return err
	}
	r.afterCall(c)

	doc := newDeliveredSecret(c.Tenant, appID, np, now)
	where, derr := "", checkDeliveryTarget(p.DeliverTo, r.opts.OwnFiles)
	if derr == nil {
		where, derr = snk.deliver(ctx, doc)
	}
	if derr != nil {
		rerr := r.retry(ctx, c, true, "POST removePassword", func(ctx context.Context) error {
			return dir.RemovePassword(ctx, appObjectID, np.KeyID)
		})
		if rerr != nil {
			// The journal entry stays: the next run removes the orphan.
			return fmt.Errorf("%s: delivering the new secret failed (%w) and removing the undelivered password %s also failed: %v",
				c.Address, derr, np.KeyID, rerr)
		}
		_ = r.commit(ctx, c, jid, nil)
		return fmt.Errorf("%s: delivering the new secret failed, so the new password was removed again: %w", c.Address, derr)
	}
	if r.opts.Hooks != nil && r.opts.Hooks.AfterDeliver != nil {
		r.opts.Hooks.AfterDeliver(c.Address.String())
	}
	r.progress(c, fmt.Sprintf("secret delivered to %s (keyId %s, expires %s)", where, np.KeyID, np.End.UTC().Format(time.RFC3339)))
	return r.commitAndRemoveReplaced(ctx, c, dir, jid, appObjectID, appID, &np.PasswordCredential, unknown)
}

// commitAndRemoveReplaced records the new, delivered password and, for a
// rotation, then removes the old one. The journal entry for that removal is
// opened in the same state write that records the new password, so a crash
// between the two leaves evidence (settled by the next run's settleJournal).
// sweep removes other passwords with the new one's displayName and
// endDateTime once it is visible: orphans of attempts whose outcome was
// unknown.
func (r *run) commitAndRemoveReplaced(ctx context.Context, c *planner.Change, dir azure.Directory, jid, appObjectID, appID string, pc *azure.PasswordCredential, sweep bool) error {
	old := c.Password.ReplacesKeyID
	rotate := c.Action == planner.Replace && old != "" && !strings.EqualFold(old, pc.KeyID)
	var delID string
	err := r.commit(ctx, c, jid, func(s *state.State) error {
		if err := s.Put(passwordResource(c, appObjectID, appID, pc)); err != nil {
			return err
		}
		if !rotate {
			return nil
		}
		var err error
		delID, err = s.BeginJournal(state.JournalEntry{
			Address: c.Address.String(), Type: string(c.Type), Tenant: c.Tenant, Operation: state.OpDelete,
			StartedAt: r.opts.Now().UTC(), Intent: map[string]string{intentAppObjectID: appObjectID, intentKeyID: old},
		})
		return err
	})
	if err != nil {
		return err
	}
	if err := r.awaitPassword(ctx, c, dir, appID, pc.KeyID); err != nil {
		return err
	}
	if sweep {
		if err := r.removeOrphans(ctx, c, dir, appObjectID, pc.DisplayName, pc.End.Truncate(time.Second), pc.KeyID); err != nil {
			return fmt.Errorf("%s: removing passwords left by attempts with an unknown outcome: %w", c.Address, err)
		}
	}
	if !rotate {
		return nil
	}
	err = r.retry(ctx, c, false, "POST removePassword", func(ctx context.Context) error {
		return dir.RemovePassword(ctx, appObjectID, old)
	})
	if err != nil && !azure.IsNotFound(err) {
		r.abandon(ctx, c, delID, err)
		return fmt.Errorf("%s: the new secret is delivered and recorded, but removing the old password %s failed: %w", c.Address, old, err)
	}
	r.afterCall(c)
	r.progress(c, "old password "+old+" removed")
	return r.commit(ctx, c, delID, nil)
}

func (r *run) removePassword(ctx context.Context, c *planner.Change, dir azure.Directory, appObjectID string) error {
	if err := r.refuseAdoptedDelete(c); err != nil {
		return err
	}
	keyID := c.Password.KeyID
	cur, inState := r.opts.State.Get(c.Address.String())
	if keyID == "" && inState {
		keyID = cur.ID
	}
	if appObjectID == "" && inState {
		appObjectID = cur.Attributes["appObjectId"]
	}
	if keyID == "" || appObjectID == "" {
		return r.forget(ctx, c, "")
	}
	if !inState {
		// A password the plan found nobody holding (not in state, not
		// delivered). If settling an interrupted run made it the secret
		// since (recorded, or its value delivered), it is kept.
		primary, _ := r.opts.State.Get(planner.PasswordAddress(c.Address.App).String())
		if strings.EqualFold(primary.ID, keyID) || strings.EqualFold(deliveredKeyID(c.Password.DeliverTo), keyID) {
			r.progress(c, "password "+keyID+" is galshare's current secret now; keeping it")
			return nil
		}
	}
	appID := firstNonEmpty(c.Password.AppID, r.out.get(c.Password.AppAddress).AppID)
	if appID == "" && inState {
		appID = cur.Attributes["appId"]
	}
	gone, err := r.ownedPassword(ctx, c, dir, appID, keyID)
	if err != nil {
		return err
	}
	jid := ""
	if gone {
		r.progress(c, "already removed outside galshare; removing the record")
	} else {
		jid, err = r.begin(ctx, c, state.OpDelete, map[string]string{intentAppObjectID: appObjectID, intentKeyID: keyID})
		if err != nil {
			return err
		}
		err = r.retry(ctx, c, false, "POST removePassword", func(ctx context.Context) error {
			return dir.RemovePassword(ctx, appObjectID, keyID)
		})
		if err != nil && !azure.IsNotFound(err) {
			r.abandon(ctx, c, jid, err)
			return err
		}
		r.afterCall(c)
	}
	if err := r.forget(ctx, c, jid); err != nil {
		return err
	}
	// The delivered copy of a removed password is useless; a stale secret
	// file only invites confusion, so it goes too (only when it holds
	// exactly this password).
	if to := c.Password.DeliverTo; to.Kind == "file" && to.Path != "" && strings.EqualFold(deliveredKeyID(to), keyID) {
		if err := os.Remove(to.Path); err != nil {
			r.log.Warn("could not remove the delivered secret of a deleted password", "path", to.Path, "error", err)
		} else {
			r.progress(c, "removed the delivered secret file "+to.Path)
		}
	}
	if to, ok := vaultDeliveryOf(c.Password.DeliverTo, cur, inState); ok {
		r.retireVaultSecret(ctx, c, to, keyID)
	}
	return nil
}

// settleJournal finishes what a crashed run left in the journal for this
// address before anything new is done:
//   - an interrupted create or rotation may have made a password (same
//     displayName, exactly the endDateTime chosen before the call). If its
//     keyId is the one in the delivery file, its value reached the target
//     before the crash: it is returned so the caller records it instead of
//     adding another. Any other such password never reached its target and is
//     removed.
//   - an interrupted removal of a rotated-out password is completed (unless
//     that keyId is the one state now holds).
//
// Entries are closed once settled. A create or rotation whose password is
// not found is not settled while its call may still take effect
// (lateWriteWindow after it started): Graph finishes a write whose client
// went away, so "not there yet" is not "never made". Its entry stays open
// (pending for the rest of this run, see commit), and a later run removes the
// password if it lands; only after the window does "not found" mean "not
// made".
func (r *run) settleJournal(ctx context.Context, c *planner.Change, dir azure.Directory, appObjectID, appID string) (keep *azure.PasswordCredential, removed map[string]bool, err error) {
	entries := r.openJournal(c.Address.String())
	if len(entries) == 0 {
		return nil, nil, nil
	}
	current, _ := r.opts.State.Get(c.Address.String())
	live, err := r.getAppByAppID(ctx, c, dir, appID)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: reading the app to settle an interrupted password change: %w", c.Address, err)
	}
	delivered := r.currentDeliveredKeyID(ctx, c.Tenant, c.Password.DeliverTo)
	remove := map[string]bool{}
	pending := 0
	for _, e := range entries {
		switch e.Operation {
		case state.OpCreate, state.OpRotate:
			end, perr := time.Parse(time.RFC3339, e.Intent[intentEndDateTime])
			if perr != nil {
				continue
			}
			found := false
			for i := range live.Passwords {
				pw := &live.Passwords[i]
				if !matchesIntent(pw, e.Intent[intentDisplayName], end) {
					continue
				}
				found = true
				if strings.EqualFold(pw.KeyID, c.Password.ReplacesKeyID) || strings.EqualFold(pw.KeyID, current.ID) {
					continue
				}
				if keep == nil && delivered != "" && strings.EqualFold(pw.KeyID, delivered) {
					keep = pw
					continue
				}
				remove[strings.ToLower(pw.KeyID)] = true
			}
			if until := e.StartedAt.Add(lateWriteWindow); !found && r.opts.Now().Before(until) {
				r.pending.add(e.ID)
				pending++
				r.progress(c, fmt.Sprintf("the password call of an interrupted run (started %s) has not shown up yet; "+
					"its journal entry stays open until %s so a later run removes the password if the call lands",
					e.StartedAt.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339)))
			}
		case state.OpDelete:
			if k := e.Intent[intentKeyID]; k != "" && !strings.EqualFold(k, current.ID) && !strings.EqualFold(k, delivered) {
				remove[strings.ToLower(k)] = true
			}
		}
	}
	for k := range remove {
		r.progress(c, "removing password "+k+" left behind by an interrupted run")
		if err := r.retry(ctx, c, false, "POST removePassword", func(ctx context.Context) error {
			return dir.RemovePassword(ctx, appObjectID, k)
		}); err != nil && !azure.IsNotFound(err) {
			return nil, nil, fmt.Errorf("%s: removing a password left behind by an interrupted run: %w", c.Address, err)
		}
	}
	if keep != nil {
		// The caller records it in the write that closes the entries.
		r.progress(c, "password "+keep.KeyID+" from an interrupted run was delivered; keeping it")
		return keep, remove, nil
	}
	if pending == len(entries) {
		return nil, remove, nil // nothing settled: no state write
	}
	return nil, remove, r.commit(ctx, c, "", nil)
}

// removeOrphans removes passwords that a call with an unknown outcome may
// have created: our displayName and exactly our endDateTime, other than keep.
func (r *run) removeOrphans(ctx context.Context, c *planner.Change, dir azure.Directory, appObjectID, displayName string, end time.Time, keep string) error {
	app, err := dir.GetApplicationByAppID(ctx, firstNonEmpty(c.Password.AppID, r.out.get(c.Password.AppAddress).AppID))
	if err != nil {
		return err
	}
	for _, pw := range app.Passwords {
		if matchesIntent(&pw, displayName, end) && !strings.EqualFold(pw.KeyID, keep) {
			if err := dir.RemovePassword(ctx, appObjectID, pw.KeyID); err != nil && !azure.IsNotFound(err) {
				return err
			}
		}
	}
	return nil
}

func matchesIntent(pw *azure.PasswordCredential, displayName string, end time.Time) bool {
	return pw.DisplayName == displayName && pw.End.UTC().Truncate(time.Second).Equal(end.UTC())
}

// deliveredKeyID reads the keyId of the secret currently at a file delivery
// target ("" when absent or unreadable). Only the keyId is kept.
func deliveredKeyID(to planner.Delivery) string {
	if to.Kind != "file" || to.Path == "" {
		return ""
	}
	data, err := os.ReadFile(to.Path)
	if err != nil {
		return ""
	}
	var doc struct {
		KeyID string `json:"keyId"`
	}
	if json.Unmarshal(data, &doc) != nil {
		return ""
	}
	return doc.KeyID
}

func passwordResource(c *planner.Change, appObjectID, appID string, pc *azure.PasswordCredential) state.Resource {
	attrs := map[string]string{
		"appObjectId": appObjectID,
		"appId":       appID,
		"displayName": pc.DisplayName,
		"hint":        pc.Hint,
		"endDateTime": pc.End.UTC().Format(time.RFC3339),
		"deliveredTo": deliveryName(c.Password.DeliverTo),
	}
	if !pc.Start.IsZero() {
		attrs["startDateTime"] = pc.Start.UTC().Format(time.RFC3339)
	}
	return state.Resource{
		Address: c.Address.String(), Type: state.TypePassword, Tenant: c.Tenant,
		ID: pc.KeyID, Origin: state.OriginCreated, Attributes: attrs,
	}
}

func deliveryName(d planner.Delivery) string { return d.String() }

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}
