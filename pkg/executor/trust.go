package executor

import (
	"context"
	"fmt"
	"strings"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
)

// galshare deletes only what is its own, and state alone does not prove
// that: a record can be edited by hand or point at the wrong object (issue
// 12, item 6). So every delete first re-reads the live object and checks it
// is galshare's — its principal, its marker — and every read-back or re-read
// checks the object's immutable identity (an app's and a service
// principal's appId, a role assignment's principal) is the one galshare
// acts on. The planner makes the same ownership checks when it plans a
// delete (build_orphans.go); these are the last guard, against a plan made
// by hand or a world that moved since.

// NotOursError refuses a delete whose live object is not galshare's.
type NotOursError struct {
	Address string
	// Object is the live object's id.
	Object string
	// Expected is what a galshare object has (principal, marker); Found is
	// what the live one has.
	Expected, Found string
}

func (e *NotOursError) Error() string {
	return fmt.Sprintf("%s: refusing to delete %s: it is not galshare's (expected %s, found %s); "+
		"state's record does not describe it: remove or correct the record, and delete the object by hand if it must go",
		e.Address, e.Object, e.Expected, e.Found)
}

// IdentityError is a read that returned an object whose immutable identity
// differs from the one galshare acts on: acting on it would act on another
// object.
type IdentityError struct {
	Address string
	// What names the identity, e.g. "the app's appId".
	What      string
	Want, Got string
}

func (e *IdentityError) Error() string {
	return fmt.Sprintf("%s: %s is %s, but Azure returned an object with %s; refusing to act on another object",
		e.Address, e.What, e.Want, e.Got)
}

// checkIdentity returns an IdentityError when want and got are both known
// and differ (case-insensitively: these are GUIDs and ARM ids).
func checkIdentity(c *planner.Change, what, want, got string) error {
	if want == "" || got == "" || strings.EqualFold(want, got) {
		return nil
	}
	return &IdentityError{Address: c.Address.String(), What: what, Want: want, Got: got}
}

// markerTag is galshare's tag on the app and service principals of this
// plan's manifest; with no manifest name (a plan made by hand) any galshare
// tag counts.
func (r *run) hasMarkerTag(tags []string) bool {
	name := r.plan.Manifest.Name
	for _, t := range tags {
		if (name != "" && t == planner.MarkerTag(name)) || (name == "" && strings.HasPrefix(t, "galshare:")) {
			return true
		}
	}
	return false
}

func (r *run) markerTagName() string {
	if r.plan.Manifest.Name == "" {
		return "a galshare:… tag"
	}
	return "tag " + planner.MarkerTag(r.plan.Manifest.Name)
}

// hasMarkerDescription is the same for a role assignment's description.
func (r *run) hasMarkerDescription(d string) bool {
	if name := r.plan.Manifest.Name; name != "" {
		return d == planner.MarkerDescription(name)
	}
	return strings.HasPrefix(d, "managed by galshare (")
}

func (r *run) markerDescriptionName() string {
	if r.plan.Manifest.Name == "" {
		return `description "managed by galshare (…)"`
	}
	return fmt.Sprintf("description %q", planner.MarkerDescription(r.plan.Manifest.Name))
}

// ownedApp re-reads the app a delete is about to remove. gone reports that
// it no longer exists (nothing to delete).
func (r *run) ownedApp(ctx context.Context, c *planner.Change, dir azure.Directory, objectID string) (gone bool, err error) {
	appID, uniqueName := c.App.AppID, c.App.UniqueName
	if cur, ok := r.opts.State.Get(c.Address.String()); ok {
		appID, uniqueName = firstNonEmpty(appID, cur.Attributes["appId"]), firstNonEmpty(uniqueName, cur.Attributes["uniqueName"])
	}
	var app *azure.Application
	switch {
	case appID != "":
		app, err = r.getAppByAppID(ctx, c, dir, appID)
	case uniqueName != "":
		app, err = retryGet(ctx, r, c, "GET application", func(ctx context.Context) (*azure.Application, error) {
			return dir.GetApplicationByUniqueName(ctx, uniqueName)
		})
	default:
		return false, &NotOursError{Address: c.Address.String(), Object: "app object " + objectID,
			Expected: "an app galshare can find by appId or uniqueName", Found: "neither in the plan or state"}
	}
	if azure.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: re-reading the app before deleting it: %w", c.Address, err)
	}
	if err := checkIdentity(c, "the app's appId", appID, app.AppID); err != nil {
		return false, err
	}
	if !strings.EqualFold(app.ObjectID, objectID) {
		return false, &NotOursError{Address: c.Address.String(), Object: objectID,
			Expected: "the app found by its appId/uniqueName to be object " + objectID, Found: "object " + app.ObjectID}
	}
	if !r.hasMarkerTag(app.Tags) {
		return false, &NotOursError{Address: c.Address.String(), Object: "app " + app.AppID,
			Expected: r.markerTagName(), Found: fmt.Sprintf("tags %q", app.Tags)}
	}
	return false, nil
}

// ownedServicePrincipal re-reads the service principal a delete is about to
// remove: it must be the app's (appId) with galshare's marker tag.
func (r *run) ownedServicePrincipal(ctx context.Context, c *planner.Change, dir azure.Directory, objectID string) (gone bool, err error) {
	appID := firstNonEmpty(c.ServicePrincipal.AppID, r.out.get(c.ServicePrincipal.AppAddress).AppID)
	if appID == "" {
		if cur, ok := r.opts.State.Get(c.Address.String()); ok {
			appID = cur.Attributes["appId"]
		}
	}
	if appID == "" {
		return false, &NotOursError{Address: c.Address.String(), Object: "service principal " + objectID,
			Expected: "the service principal of galshare's app", Found: "no appId to check it against in the plan or state"}
	}
	sp, err := r.getServicePrincipal(ctx, c, dir, appID)
	if azure.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: re-reading the service principal before deleting it: %w", c.Address, err)
	}
	if err := checkIdentity(c, "the service principal's appId", appID, sp.AppID); err != nil {
		return false, err
	}
	if !strings.EqualFold(sp.ObjectID, objectID) {
		return false, &NotOursError{Address: c.Address.String(), Object: "service principal " + objectID,
			Expected: "the service principal of app " + appID, Found: "that app's service principal is " + sp.ObjectID}
	}
	if !r.hasMarkerTag(sp.Tags) {
		return false, &NotOursError{Address: c.Address.String(), Object: "service principal " + objectID,
			Expected: r.markerTagName(), Found: fmt.Sprintf("tags %q", sp.Tags)}
	}
	return false, nil
}

// ownedAssignment re-reads the role assignment a delete is about to remove:
// it must be of principal (when known) and carry galshare's marker
// description.
func (r *run) ownedAssignment(ctx context.Context, c *planner.Change, res azure.Resources, id, principal string) (gone bool, err error) {
	ra, err := retryGet(ctx, r, c, "GET roleAssignment", func(ctx context.Context) (*azure.RoleAssignment, error) {
		return res.GetRoleAssignment(ctx, id)
	})
	if azure.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: re-reading the role assignment before deleting it: %w", c.Address, err)
	}
	if principal != "" && !strings.EqualFold(ra.PrincipalID, principal) {
		return false, &NotOursError{Address: c.Address.String(), Object: "role assignment " + id,
			Expected: "principal " + principal + " (galshare's service principal)", Found: "principal " + ra.PrincipalID}
	}
	if !r.hasMarkerDescription(ra.Description) {
		return false, &NotOursError{Address: c.Address.String(), Object: "role assignment " + id,
			Expected: r.markerDescriptionName(), Found: fmt.Sprintf("description %q", ra.Description)}
	}
	return false, nil
}

// assignmentPrincipal is the principal a role assignment galshare deletes
// must have: the plan's, else the service principal this run knows, else
// the one state recorded.
func (r *run) assignmentPrincipal(c *planner.Change) string {
	p := c.RoleAssignment
	if id := firstNonEmpty(p.PrincipalID, r.out.get(p.PrincipalFrom).ObjectID); id != "" {
		return id
	}
	if cur, ok := r.opts.State.Get(c.Address.String()); ok {
		return cur.Attributes["principalId"]
	}
	return ""
}

// ownedPassword re-reads the app before a password is removed: the keyId
// must be on it under the displayName galshare gave it (when known).
func (r *run) ownedPassword(ctx context.Context, c *planner.Change, dir azure.Directory, appID, keyID string) (gone bool, err error) {
	if appID == "" {
		return false, nil // nothing to read by; RemovePassword is scoped to the recorded app object
	}
	app, err := r.getAppByAppID(ctx, c, dir, appID)
	if azure.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: re-reading the app before removing its password: %w", c.Address, err)
	}
	for _, pw := range app.Passwords {
		if !strings.EqualFold(pw.KeyID, keyID) {
			continue
		}
		want := c.Password.DisplayName
		if cur, ok := r.opts.State.Get(c.Address.String()); ok && want == "" {
			want = cur.Attributes["displayName"]
		}
		if want != "" && pw.DisplayName != want {
			return false, &NotOursError{Address: c.Address.String(), Object: "password " + keyID,
				Expected: fmt.Sprintf("displayName %q", want), Found: fmt.Sprintf("displayName %q", pw.DisplayName)}
		}
		return false, nil
	}
	return true, nil
}
