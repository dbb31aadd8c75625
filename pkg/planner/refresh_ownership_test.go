package planner

import (
	"context"
	"testing"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
)

// ownFake is fakeAzure whose directory also holds other apps, found by
// appId, tag and displayName the way Graph finds them.
type ownFake struct {
	*fakeAzure
	others []azure.Application
}

func (f *ownFake) Directory(ctx context.Context, t string) (azure.Directory, error) {
	d, err := f.fakeAzure.Directory(ctx, t)
	if err != nil {
		return nil, err
	}
	return &ownDir{fakeDir: d.(*fakeDir), others: f.others}, nil
}

type ownDir struct {
	*fakeDir
	others []azure.Application
}

func (d *ownDir) GetApplicationByAppID(ctx context.Context, id string) (*azure.Application, error) {
	if _, err := d.fakeDir.GetApplicationByAppID(ctx, id); !azure.IsNotFound(err) {
		return nil, err
	}
	for i := range d.others {
		if d.others[i].AppID == id {
			return &d.others[i], nil
		}
	}
	return nil, notFound(d.tenant, "appid:"+id)
}

func (d *ownDir) ListApplicationsByTag(ctx context.Context, tag string) ([]azure.Application, error) {
	if _, err := d.fakeDir.ListApplicationsByTag(ctx, tag); err != nil {
		return nil, err
	}
	var out []azure.Application
	for _, a := range d.others {
		if containsFold(a.Tags, tag) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (d *ownDir) ListApplicationsByDisplayName(ctx context.Context, n string) ([]azure.Application, error) {
	if _, err := d.fakeDir.ListApplicationsByDisplayName(ctx, n); err != nil {
		return nil, err
	}
	var out []azure.Application
	for _, a := range d.others {
		if a.DisplayName == n {
			out = append(out, a)
		}
	}
	return out, nil
}

// How refresh looks for the app decides what Build may adopt: a display
// name is read only to report a conflict, never when the manifest chose its
// uniqueName or names the app to adopt.
func TestRefreshAppLookupOrder(t *testing.T) {
	hand := *handMadeApp()
	other := otherManifestsApp()
	tests := []struct {
		name        string
		m           func() *spec.Manifest
		others      []azure.Application
		wantStatus  ReadStatus
		wantFoundBy string
		wantSame    int
		wantNoName  bool
	}{
		{name: "default uniqueName: same-name apps are read for the conflict report",
			m: quickstart, others: []azure.Application{hand}, wantStatus: Missing, wantSame: 1},
		{name: "another manifest's app is not found by its tag or name as ours",
			m: otherTeam, others: []azure.Application{other}, wantStatus: Missing, wantSame: 1},
		{name: "an explicit uniqueName: no display-name lookup",
			m: func() *spec.Manifest {
				m := quickstart()
				m.Publisher.App.UniqueNameSet = true
				return m
			}, others: []azure.Application{hand}, wantStatus: Missing, wantNoName: true},
		{name: "adopt: found by the appId it names, no display-name lookup",
			m: func() *spec.Manifest {
				m := quickstart()
				m.Publisher.App.Adopt = &spec.Adopt{AppID: appID}
				return m
			}, others: []azure.Application{hand}, wantStatus: Found, wantFoundBy: FoundByAdopt, wantNoName: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &ownFake{fakeAzure: newFake(), others: tt.others}
			f.creds[tPub], f.creds[tFab] = true, true
			m := tt.m()
			snap, err := Refresh(t.Context(), m, nil, f, RefreshOptions{NoPreflight: true})
			if err != nil {
				t.Fatal(err)
			}
			o := snap.App
			if o.Status != tt.wantStatus || o.FoundBy != tt.wantFoundBy || len(o.SameName) != tt.wantSame {
				t.Errorf("app obs status %v foundBy %q sameName %d; want %v %q %d", o.Status, o.FoundBy, len(o.SameName),
					tt.wantStatus, tt.wantFoundBy, tt.wantSame)
			}
			if n := f.calls["name:"+m.Publisher.App.DisplayName]; tt.wantNoName && n != 0 {
				t.Errorf("refresh listed apps by displayName %d times", n)
			}
		})
	}
}
