package azsim

import "strings"

// Applications by appId. Every token request and every service principal read looks an application up by its
// client id; with a fleet's ten thousand tenants (one operator application each) a scan of directory.Apps per
// lookup was most of the simulator's token-issuance CPU. directory.Apps stays the source of truth and the only thing
// persisted; this index is derived from it, built on first use after a world is created or loaded, and kept in step
// by putApp/removeApp, the only ways the simulator changes the map. (A test editing the map directly is caught by a
// size change or a stale hit; only an edit that keeps the size and adds a new appId would go unseen.)

// appIndex maps lower-case appId to application.
type appIndex struct {
	n       int // len(directory.Apps) when last in step with it
	byAppID map[string]*application
}

// apps returns the appId index, building it when the world is new or loaded or the map was changed behind the
// index's back (tests arranging a directory by hand). Callers hold s.mu.
func (d *directory) apps() *appIndex {
	if d.appIdx != nil && d.appIdx.n == len(d.Apps) {
		return d.appIdx
	}
	x := &appIndex{n: len(d.Apps), byAppID: make(map[string]*application, len(d.Apps))}
	for _, a := range d.Apps {
		x.byAppID[strings.ToLower(a.AppID)] = a
	}
	d.appIdx = x
	return x
}

// putApp stores app under its object id and indexes it.
func (d *directory) putApp(app *application) {
	x := d.apps()
	if old := d.Apps[app.ID]; old != nil {
		delete(x.byAppID, strings.ToLower(old.AppID))
	}
	d.Apps[app.ID] = app
	x.byAppID[strings.ToLower(app.AppID)] = app
	x.n = len(d.Apps)
}

// removeApp removes app from the live applications.
func (d *directory) removeApp(app *application) {
	x := d.apps()
	if old := d.Apps[app.ID]; old != nil {
		delete(x.byAppID, strings.ToLower(old.AppID))
		delete(d.Apps, app.ID)
	}
	x.n = len(d.Apps)
}

// appByAppID finds an application by its client id regardless of visibility.
func (d *directory) appByAppID(appID string) *application {
	a := d.apps().byAppID[strings.ToLower(appID)]
	if a != nil && (d.Apps[a.ID] != a || !strings.EqualFold(a.AppID, appID)) {
		// The map was edited directly with its size unchanged: rebuild once.
		d.appIdx = nil
		a = d.apps().byAppID[strings.ToLower(appID)]
	}
	return a
}
