package planner

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/state"
)

// Ownership: galshare takes over an app registration only when it is this
// manifest's (state records it, or it carries this manifest's uniqueName or
// galshare:<name> marker) or when the manifest names it in
// publisher.app.adopt. An app another manifest's marker claims is never
// taken over, and one that only shares the displayName is a conflict the
// plan reports with its fix.

// markerPrefix starts every galshare marker tag (MarkerTag).
const markerPrefix = "galshare:"

// otherOwners lists the manifests other than mine whose galshare marker
// tags carries, in tag order.
func otherOwners(tags []string, mine string) []string {
	var out []string
	for _, t := range tags {
		if len(t) <= len(markerPrefix) || !strings.EqualFold(t[:len(markerPrefix)], markerPrefix) {
			continue
		}
		name := t[len(markerPrefix):]
		if !strings.EqualFold(name, mine) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// foundBy says how refresh found the app, for adoption reasons.
func (b *builder) foundBy(o AppObs) string {
	if o.FoundBy == FoundByAdopt {
		return "publisher.app.adopt names appId " + o.App.AppID
	}
	return "found by " + o.FoundBy
}

// appConflictMissing blocks the app when refresh found none to use but
// creating one would be wrong: the app publisher.app.adopt names does not
// exist, or a hand-made app shares the displayName (galshare never adopts by
// display name and does not guess whether a second app is wanted).
func (b *builder) appConflictMissing(c *Change) bool {
	app := b.m.Publisher.App
	if ad := app.Adopt; ad != nil {
		c.Action = Blocked
		c.Reason = "the app to adopt does not exist"
		c.Blocked = &BlockedInfo{
			Why: "publisher.app.adopt.appId " + ad.AppID + " names no app registration in tenant " + b.m.Publisher.Tenant,
			Instructions: []string{"Fix publisher.app.adopt.appId (Entra admin center > App registrations > the app > " +
				"Overview > Application (client) ID), or remove publisher.app.adopt to let galshare create the app."},
		}
		return true
	}
	var ids []string
	for _, a := range b.snap.App.SameName {
		if len(otherOwners(a.Tags, b.m.Name)) == 0 {
			ids = append(ids, a.AppID)
		}
	}
	if len(ids) == 0 {
		return false
	}
	c.Action = Blocked
	c.Reason = "conflict: an app with this displayName exists that galshare did not create"
	what := "an app registration named " + strconv.Quote(app.DisplayName) + " (appId " + ids[0] + ") exists"
	adopt := "To manage that app with galshare, add `adopt: {appId: " + ids[0] + "}` under publisher.app: it is then " +
		"adopted (never deleted) and gets a secret of galshare's own; its existing secrets are left alone."
	if len(ids) > 1 {
		what = strconv.Itoa(len(ids)) + " app registrations named " + strconv.Quote(app.DisplayName) + " (appIds " +
			strings.Join(ids, ", ") + ") exist"
		adopt = "To manage one of them with galshare, name it under publisher.app: `adopt: {appId: APPID}`."
	}
	c.Blocked = &BlockedInfo{
		Why: what + " that galshare did not create for manifest " + b.m.Name +
			"; galshare never adopts an app by its display name",
		Instructions: []string{
			adopt,
			"To create a new app next to it, set publisher.app.uniqueName (e.g. `uniqueName: " + app.UniqueName +
				"`), or choose another displayName.",
		},
	}
	return true
}

// sameNameNote adds to a create's reason that apps of other galshare
// manifests share the displayName (and are left alone).
func (b *builder) sameNameNote() string {
	var owners []string
	for _, a := range b.snap.App.SameName {
		for _, o := range otherOwners(a.Tags, b.m.Name) {
			if !slices.Contains(owners, o) {
				owners = append(owners, o)
			}
		}
	}
	if len(owners) == 0 {
		return ""
	}
	return "; the app named " + strconv.Quote(b.m.Publisher.App.DisplayName) + " of galshare manifest " +
		strings.Join(owners, ", ") + " is not this manifest's and is left alone"
}

// appConflictFound blocks a found app that another galshare manifest owns
// (its marker, not this manifest's, and state does not record it): found by
// a uniqueName two manifests share, or named in publisher.app.adopt.
func (b *builder) appConflictFound(c *Change, live *azure.Application, rec *state.Resource) bool {
	if containsFold(live.Tags, MarkerTag(b.m.Name)) {
		return false
	}
	if rec != nil && (strings.EqualFold(rec.ID, live.ObjectID) || strings.EqualFold(rec.Attributes[AttrAppID], live.AppID)) {
		return false // state says it is this manifest's (e.g. the manifest was renamed)
	}
	owners := otherOwners(live.Tags, b.m.Name)
	if len(owners) == 0 {
		return false
	}
	fix := "Give this manifest a uniqueName of its own (publisher.app.uniqueName)."
	if b.snap.App.FoundBy == FoundByAdopt {
		fix = "Remove publisher.app.adopt, or name an app no other galshare manifest manages."
	}
	c.Action = Blocked
	c.Reason = "conflict: the app belongs to galshare manifest " + strings.Join(owners, ", ")
	c.Blocked = &BlockedInfo{
		Why: "app registration " + live.AppID + " (" + b.foundBy(b.snap.App) + ") carries the tag " +
			MarkerTag(owners[0]) + ": it belongs to galshare manifest " + owners[0] +
			", and galshare never takes over another manifest's app",
		Instructions: []string{fix},
	}
	return true
}

// deliveredKeyID is the keyId of the password at the delivery target when
// the delivered document is for this app ("" otherwise).
func (b *builder) deliveredKeyID(live *azure.Application) string {
	d := b.snap.Delivered
	if d == nil || d.KeyID == "" || !strings.EqualFold(d.AppID, live.AppID) {
		return ""
	}
	return d.KeyID
}

// heldPasswords is the set of keyIds (lowercase) whose value galshare holds:
// the one state records for the secret and the one at the delivery target.
func (b *builder) heldPasswords(live *azure.Application, rec state.Resource, inState bool) map[string]bool {
	held := map[string]bool{}
	if inState && rec.ID != "" {
		held[strings.ToLower(rec.ID)] = true
	}
	if d := b.deliveredKeyID(live); d != "" {
		held[strings.ToLower(d)] = true
	}
	return held
}

// unknownPasswordReason explains the removal of a password on galshare's
// own app that galshare does not hold.
const unknownPasswordReason = "unknown password: not in state and not delivered — a working credential nobody holds"

// buildUnknownPasswords plans the removal of every password on galshare's
// own app (created by galshare) that it does not hold: a valid credential
// whose value nobody can see, e.g. left by an interrupted apply. Each
// removal waits for the secret's own change, so a new secret is delivered
// first (and an interrupted run is settled first: the executor keeps a
// password that turns out to be delivered by then). On an adopted app the
// passwords someone else made are only reported (foreignPasswordsNote).
func (b *builder) buildUnknownPasswords(app, secret *Change, live *azure.Application, held map[string]bool) {
	if app.Origin != OriginCreated || live == nil {
		return
	}
	sec := b.m.Publisher.App.Secret
	for i := range live.Passwords {
		p := &live.Passwords[i]
		if p.KeyID == "" || held[strings.ToLower(p.KeyID)] {
			continue
		}
		addr := Address{Kind: AddrPassword, App: b.m.Publisher.App.DisplayName, Slot: strings.ToLower(p.KeyID)}
		// No fingerprint: a password never changes, and its removal by keyId
		// is idempotent, so one an interrupted run's settlement removed
		// first is simply done.
		c := &Change{Address: addr, Tenant: b.m.Publisher.Tenant, Action: Delete, Reason: unknownPasswordReason,
			DependsOn: []Address{secret.Address},
			Before: map[string]string{"displayName": p.DisplayName, "keyId": p.KeyID, "hint": p.Hint,
				"endDateTime": p.End.UTC().Format(time.RFC3339)},
			Password: &PasswordPayload{AppAddress: app.Address, AppObjectID: live.ObjectID, AppID: live.AppID,
				DisplayName: p.DisplayName, KeyID: p.KeyID,
				DeliverTo: Delivery{Kind: sec.DeliverTo.Kind, Path: sec.DeliverTo.Path}},
		}
		b.removals[addr] = true
		b.add(c)
	}
}

// foreignPasswordsNote tells, on an adopted app, which passwords galshare
// leaves alone: someone made them and may be using them, so removing them
// could cut that someone off.
func (b *builder) foreignPasswordsNote(app *Change, live *azure.Application, held map[string]bool) string {
	if app.Origin != OriginAdopted || live == nil {
		return ""
	}
	var ids []string
	for _, p := range live.Passwords {
		if !held[strings.ToLower(p.KeyID)] {
			ids = append(ids, p.KeyID)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	return "; the adopted app's other passwords (keyIds " + strings.Join(ids, ", ") +
		") are left alone: galshare did not make them and does not hold their values"
}
