package azsim

import (
	"fmt"
	"maps"
	"strings"
	"testing"
)

// scanAppByKey is appByKey as a full scan, the reference for the indexed lookups.
func scanAppByKey(d *directory, tenantID string, key graphSeg) *application {
	for _, a := range d.Apps {
		if !strings.EqualFold(a.TenantID, tenantID) {
			continue
		}
		var v string
		switch strings.ToLower(key.keyName) {
		case "id":
			v = a.ID
		case "appid":
			v = a.AppID
		case "uniquename":
			v = a.UniqueName
		default:
			return nil
		}
		if v != "" && strings.EqualFold(v, key.keyValue) {
			return a
		}
	}
	return nil
}

func scanAppByAppID(d *directory, appID string) *application {
	for _, a := range d.Apps {
		if strings.EqualFold(a.AppID, appID) {
			return a
		}
	}
	return nil
}

func TestAppIndexMatchesScan(t *testing.T) {
	d := newDirectory()
	tenants := []string{"t0", "t1", "t2"}
	var all []*application
	for i := range 60 {
		a := &application{ID: fmt.Sprintf("obj-%02d", i), AppID: fmt.Sprintf("app-%02d", i), TenantID: tenants[i%3]}
		if i%4 == 0 {
			a.UniqueName = fmt.Sprintf("Unique-%02d", i)
		}
		d.putApp(a)
		all = append(all, a)
	}
	check := func(what string, maintained bool) {
		t.Helper()
		// The maintained index must equal one built from scratch (lookups would repair a stale one silently).
		if maintained {
			fresh := (&directory{Apps: d.Apps}).apps()
			if !maps.Equal(d.appIdx.byAppID, fresh.byAppID) || d.appIdx.n != fresh.n {
				t.Errorf("%s: maintained index differs from a rebuilt one", what)
			}
		}
		for i := range 62 {
			for _, v := range []string{fmt.Sprintf("app-%02d", i), fmt.Sprintf("APP-%02d", i)} {
				if got, want := d.appByAppID(v), scanAppByAppID(d, v); got != want {
					t.Errorf("%s: appByAppID(%s) = %v, scan %v", what, v, got, want)
				}
			}
			for _, tn := range tenants {
				for _, key := range []graphSeg{
					{keyName: "id", keyValue: fmt.Sprintf("obj-%02d", i)}, {keyName: "Id", keyValue: fmt.Sprintf("OBJ-%02d", i)},
					{keyName: "appId", keyValue: fmt.Sprintf("App-%02d", i)}, {keyName: "uniqueName", keyValue: fmt.Sprintf("unique-%02d", i)},
					{keyName: "displayName", keyValue: "x"}, {keyName: "appId", keyValue: ""},
				} {
					if got, want := d.appByKey(tn, key), scanAppByKey(d, tn, key); got != want {
						t.Errorf("%s: appByKey(%s, %+v) = %v, scan %v", what, tn, key, got, want)
					}
				}
			}
		}
	}
	check("after puts", true)
	if d.appByAppID("app-07") == nil {
		t.Fatal("indexed app not found; the comparisons above prove nothing")
	}

	for _, a := range all[:20] {
		d.removeApp(a)
	}
	d.putApp(all[3]) // restore
	d.putApp(&application{ID: all[30].ID, AppID: "app-replaced", TenantID: "t0"})
	check("after removes, a restore and a replacement", true)
	if d.appByAppID("app-05") != nil || d.appByAppID("app-30") != nil || d.appByAppID("app-replaced") == nil {
		t.Error("removed or replaced appId still indexed, or the replacement is not")
	}

	// Direct map edits keeping the size: one app swapped for another behind the index's back.
	delete(d.Apps, all[40].ID)
	d.Apps["obj-new"] = &application{ID: "obj-new", AppID: "app-40", TenantID: "t1"}
	check("after a direct edit", false)
	if got := d.appByAppID("app-40"); got == nil || got.ID != "obj-new" {
		t.Errorf("appByAppID after a direct edit = %v", got)
	}
}
