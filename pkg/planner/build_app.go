package planner

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/state"
)

// personalAudience is the sign-in audience that needs access token v2.
const personalAudience = "AzureADandPersonalMicrosoftAccount"

// desiredApp is the app payload the manifest asks for.
func (b *builder) desiredApp() *AppPayload {
	a := b.m.Publisher.App
	p := &AppPayload{
		UniqueName:     a.UniqueName,
		DisplayName:    a.DisplayName,
		SignInAudience: a.SignInAudience,
		RedirectURIs:   slices.Clone(a.RedirectURIs),
		Tags:           []string{MarkerTag(b.m.Name)},
	}
	if strings.EqualFold(a.SignInAudience, personalAudience) {
		p.RequestedAccessTokenVersion = 2
	}
	return p
}

func appAttrs(p *AppPayload) map[string]string {
	m := map[string]string{
		"displayName":    p.DisplayName,
		"uniqueName":     p.UniqueName,
		"signInAudience": p.SignInAudience,
		"redirectUris":   listValue(p.RedirectURIs),
		"tags":           listValue(p.Tags),
		"appId":          p.AppID,
		"objectId":       p.ObjectID,
	}
	if p.AppID == "" {
		m["appId"] = KnownAfterApply
		m["objectId"] = KnownAfterApply
	}
	if p.RequestedAccessTokenVersion != 0 {
		m["requestedAccessTokenVersion"] = strconv.Itoa(p.RequestedAccessTokenVersion)
	}
	return m
}

func liveAppAttrs(a *azure.Application) map[string]string {
	m := map[string]string{
		"displayName":    a.DisplayName,
		"uniqueName":     a.UniqueName,
		"signInAudience": a.SignInAudience,
		"redirectUris":   listValue(a.RedirectURIs),
		"tags":           listValue(a.Tags),
		"appId":          a.AppID,
		"objectId":       a.ObjectID,
	}
	if a.RequestedAccessTokenVersion != 0 {
		m["requestedAccessTokenVersion"] = strconv.Itoa(a.RequestedAccessTokenVersion)
	}
	return m
}

// buildApp plans the app registration: create when missing, adopt a
// hand-made one (never a duplicate), update drift.
func (b *builder) buildApp() {
	want := b.desiredApp()
	addr := AppAddress(want.DisplayName)
	c := &Change{Address: addr, Tenant: b.m.Publisher.Tenant, App: want}

	rec, inState := b.stateRes(addr)
	if !inState {
		if r, ok := b.stateOfType(TypeApplication); ok {
			rec, inState = r, true
			c.PreviousAddress = MustParseAddress(r.Address)
		}
	}
	var recp *state.Resource
	if inState {
		recp = &rec
	}

	obs := b.snap.App
	switch obs.Status {
	case Denied, NotRead:
		c.Action = Blocked
		c.Blocked = deniedBlock(obs.Obs, "read the app registration",
			"Give the operator in the publisher tenant Application.Read.All (plan) or Application.ReadWrite.All (apply).")
		c.Reason = "cannot read the app registration"
		if inState {
			c.Origin = string(rec.Origin)
		}
	case Missing:
		if b.appConflictMissing(c) {
			break
		}
		c.Action = Create
		c.Origin = OriginCreated
		c.Reason = b.missingReason(addr, inState) + b.sameNameNote()
		c.After = appAttrs(want)
	case Found:
		live := obs.App
		if b.appConflictFound(c, live, recp) {
			break
		}
		marked := containsFold(live.Tags, MarkerTag(b.m.Name))
		c.Origin = b.originOf(recp, addr, marked)
		c.Adopt = !inState
		c.Fingerprint = FingerprintApplication(live)
		want.ObjectID, want.AppID = live.ObjectID, live.AppID
		if want.UniqueName != "" && live.UniqueName == "" {
			// A hand-made app has no uniqueName; Graph cannot add one later,
			// so galshare keeps addressing it by object id.
			want.UniqueName = ""
		}
		if c.Origin == OriginAdopted {
			// Never mark a hand-made app as galshare's: a later plan without
			// state would then think galshare created it.
			want.Tags = slices.Clone(live.Tags)
		} else if !marked {
			want.Tags = append(slices.Clone(live.Tags), MarkerTag(b.m.Name))
		} else {
			want.Tags = slices.Clone(live.Tags)
		}
		want.Changed = appDrift(live, want)
		c.Before = liveAppAttrs(live)
		c.After = appAttrs(want)
		switch {
		case len(want.Changed) > 0:
			c.Action = Update
			c.Reason = b.driftReason(addr, inState, rec, want.Changed)
			if c.Adopt {
				c.Reason = b.adoptReason(addr, c.Origin, b.foundBy(obs)) + "; differs: " + joinFields(want.Changed)
			}
		case c.Adopt:
			c.Action = NoOp
			c.Reason = b.adoptReason(addr, c.Origin, b.foundBy(obs))
		case !c.PreviousAddress.IsZero():
			c.Action = NoOp
			c.Reason = "recorded as " + c.PreviousAddress.String() + "; re-keying state"
		default:
			c.Action = NoOp
		}
	}
	b.add(c)
}

// appDrift lists the managed fields where the live app differs.
func appDrift(live *azure.Application, want *AppPayload) []string {
	var fs []string
	if live.DisplayName != want.DisplayName {
		fs = append(fs, "displayName")
	}
	if !strings.EqualFold(live.SignInAudience, want.SignInAudience) {
		fs = append(fs, "signInAudience")
	}
	if !sameSet(live.RedirectURIs, want.RedirectURIs) {
		fs = append(fs, "redirectUris")
	}
	if want.RequestedAccessTokenVersion != 0 && live.RequestedAccessTokenVersion != want.RequestedAccessTokenVersion {
		fs = append(fs, "requestedAccessTokenVersion")
	}
	if !sameSet(live.Tags, want.Tags) {
		fs = append(fs, "tags")
	}
	return fs
}

// driftReason says whether a difference comes from outside galshare (state
// recorded what the manifest still asks for) or from a manifest edit.
func (b *builder) driftReason(addr Address, inState bool, rec state.Resource, fields []string) string {
	if !inState {
		return "differs from manifest: " + joinFields(fields)
	}
	if v, ok := rec.Attributes[AttrDisplayName]; ok && slices.Contains(fields, "displayName") &&
		v != b.m.Publisher.App.DisplayName {
		return "manifest changed: " + joinFields(fields)
	}
	// State records the manifest's hash at the last apply: only when the
	// manifest is the same is a difference surely made outside galshare.
	if b.st != nil && b.st.Manifest.SHA256 != "" && b.m.SHA256 != "" && b.st.Manifest.SHA256 != b.m.SHA256 {
		return "differs from manifest (edited since the last apply): " + joinFields(fields)
	}
	return "changed outside galshare: " + joinFields(fields)
}

// buildPassword plans the client secret: create when missing, rotate
// (Replace: add, deliver, remove the old one) inside renewBefore or after
// expiry, adopt a matching hand-made one.
func (b *builder) buildPassword() {
	sec := b.m.Publisher.App.Secret
	if sec == nil {
		return
	}
	appAddr := AppAddress(b.m.Publisher.App.DisplayName)
	app := b.byAddr[appAddr]
	addr := PasswordAddress(b.m.Publisher.App.DisplayName)
	want := &PasswordPayload{
		AppAddress:  appAddr,
		AppObjectID: app.App.ObjectID,
		AppID:       app.App.AppID,
		DisplayName: sec.Description,
		Lifetime:    sec.Lifetime,
		RenewBefore: sec.RenewBefore,
		DeliverTo:   deliveryOf(sec),
	}
	c := &Change{Address: addr, Tenant: b.m.Publisher.Tenant, Password: want, DependsOn: []Address{appAddr}}
	rec, inState := b.stateRes(addr)
	if !inState {
		if r, ok := b.stateOfType(TypePassword); ok && !app.PreviousAddress.IsZero() {
			rec, inState = r, true
			c.PreviousAddress = MustParseAddress(r.Address)
		}
	}
	after := map[string]string{
		"displayName": sec.Description,
		"keyId":       KnownAfterApply,
		"hint":        KnownAfterApply,
		"endDateTime": KnownAfterApply,
		"lifetime":    sec.Lifetime.String(),
		"deliverTo":   want.DeliverTo.String(),
	}
	if app.App.ObjectID == "" {
		// The app does not exist (or could not be read): the secret follows it.
		if app.Action == Blocked {
			c.Action = Blocked // propagateBlocked fills in the details
		} else {
			c.Action = Create
			c.Origin = OriginCreated
			c.Reason = b.missingReason(addr, inState)
		}
		c.After = after
		b.add(c)
		return
	}

	live := b.snap.App.App
	// Only a password galshare holds the value of is ever this secret: the
	// one state records, else the one at the delivery target. Any other is
	// not adopted, whatever its description (its value is nowhere galshare
	// can hand over).
	var cur *azure.PasswordCredential
	held := b.heldPasswords(live, rec, inState)
	if inState {
		cur = findPassword(live.Passwords, func(p azure.PasswordCredential) bool { return strings.EqualFold(p.KeyID, rec.ID) })
	} else if d := b.deliveredKeyID(live); d != "" {
		cur = findPassword(live.Passwords, func(p azure.PasswordCredential) bool { return strings.EqualFold(p.KeyID, d) })
	}
	if cur == nil {
		c.Action = Create
		c.Origin = OriginCreated
		c.Reason = b.missingReason(addr, inState) + b.foreignPasswordsNote(app, live, held)
		c.After = after
		b.add(c)
		b.buildUnknownPasswords(app, c, live, held)
		return
	}
	var recp *state.Resource
	if inState {
		recp = &rec
	}
	appOrigin := app.Origin
	c.Origin = b.originOf(recp, addr, appOrigin == OriginCreated)
	c.Adopt = !inState
	c.Fingerprint = FingerprintPassword(cur)
	want.KeyID = cur.KeyID
	c.Before = map[string]string{
		"displayName": cur.DisplayName,
		"keyId":       cur.KeyID,
		"hint":        cur.Hint,
		"endDateTime": cur.End.UTC().Format(time.RFC3339),
	}
	left := cur.End.Sub(b.now)
	switch {
	case !cur.End.IsZero() && left <= 0:
		c.Action = Replace
		c.Reason = "secret expired " + humanDuration(left) + " ago"
	case cur.ExpiresWithin(b.now, sec.RenewBefore):
		c.Action = Replace
		c.Reason = "secret expires in " + humanDuration(left)
	default:
		c.Action = NoOp
		if c.Adopt {
			c.Reason = b.adoptReason(addr, c.Origin, "keyId "+cur.KeyID)
		}
	}
	if c.Action == Replace {
		want.ReplacesKeyID = cur.KeyID
		want.KeyID = ""
		c.After = after
		// The new password is galshare's; the old one goes either way.
		c.Origin = OriginCreated
	} else {
		c.After = c.Before
	}
	c.Reason += b.foreignPasswordsNote(app, live, held)
	b.add(c)
	b.buildUnknownPasswords(app, c, live, held)
}

func findPassword(ps []azure.PasswordCredential, f func(azure.PasswordCredential) bool) *azure.PasswordCredential {
	for i := range ps {
		if f(ps[i]) {
			p := ps[i]
			return &p
		}
	}
	return nil
}
