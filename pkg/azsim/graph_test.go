package azsim

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// multiTenantApp is the application body of the documented procedure.
func multiTenantApp(name string) map[string]any {
	return map[string]any{
		"displayName": name, "signInAudience": "AzureADandPersonalMicrosoftAccount",
		"api":  map[string]any{"requestedAccessTokenVersion": 2},
		"web":  map[string]any{"redirectUris": []string{"https://www.microsoft.com"}},
		"tags": []string{"galshare", "manifest:" + name}, "notes": "managed by galshare",
	}
}

func TestAppPasswordSPLifecycle(t *testing.T) {
	sim := coreStart(t, Options{})
	ctx := context.Background()
	g1 := coreGraphFor(t, sim, coreT1, coreOp1)
	g2 := coreGraphFor(t, sim, coreT2, coreOp2)

	// Create (POST) and read back by id, appId and a $filter on appId, displayName and tags.
	app := g1.do(t, "POST", "/applications", multiTenantApp("myGalleryApp"), nil, http.StatusCreated).must(t)
	id, appID := app.str("id"), app.str("appId")
	if id == "" || appID == "" || app.str("signInAudience") != "AzureADandPersonalMicrosoftAccount" {
		t.Fatalf("created app = %v", app.body)
	}
	for _, p := range []string{"/applications/" + id, "/applications(appId='" + appID + "')"} {
		if got := g1.do(t, "GET", p, nil, nil, http.StatusOK).must(t); got.str("id") != id {
			t.Errorf("GET %s id = %s", p, got.str("id"))
		}
	}
	for _, f := range []string{"appId eq '" + appID + "'", "displayName eq 'myGalleryApp'", "tags/any(t:t eq 'galshare')",
		"startsWith(displayName,'myGallery')"} {
		l := g1.do(t, "GET", "/applications?$filter="+url.QueryEscape(f), nil, nil, http.StatusOK).must(t)
		if v, _ := l.body["value"].([]any); len(v) != 1 {
			t.Errorf("filter %q: %d results", f, len(v))
		}
	}
	if l := g1.do(t, "GET", "/applications?$filter="+url.QueryEscape("displayName eq 'nope'"), nil, nil, http.StatusOK).must(t); len(l.body["value"].([]any)) != 0 {
		t.Errorf("filter for a missing name returned results")
	}
	// PATCH (partial).
	g1.do(t, "PATCH", "/applications/"+id, map[string]any{"notes": "changed"}, nil, http.StatusNoContent).must(t)
	if got := g1.do(t, "GET", "/applications/"+id+"?$select=id,notes", nil, nil, http.StatusOK).must(t); got.str("notes") != "changed" || got.body["displayName"] != nil {
		t.Errorf("after PATCH with $select: %v", got.body)
	}

	// addPassword: secretText only in the response; reads show keyId and hint.
	end := time.Now().Add(365 * 24 * time.Hour).UTC().Truncate(time.Second)
	pw := g1.do(t, "POST", "/applications/"+id+"/addPassword", map[string]any{"passwordCredential": map[string]any{
		"displayName": "Shared image gallery cross-tenant app secret", "endDateTime": end.Format(time.RFC3339)}},
		nil, http.StatusOK).must(t)
	secret, keyID := pw.str("secretText"), pw.str("keyId")
	if len(secret) < 16 || pw.str("hint") != secret[:3] || pw.str("endDateTime") != end.Format(time.RFC3339) {
		t.Fatalf("addPassword = %v", pw.body)
	}
	read := g1.do(t, "GET", "/applications/"+id, nil, nil, http.StatusOK).must(t)
	creds := read.body["passwordCredentials"].([]any)
	if len(creds) != 1 || creds[0].(map[string]any)["secretText"] != nil || creds[0].(map[string]any)["keyId"] != keyID {
		t.Fatalf("passwordCredentials on read = %v", creds)
	}
	// Default lifetime is two years.
	pw2 := g1.do(t, "POST", "/applications(appId='"+appID+"')/addPassword", map[string]any{"passwordCredential": map[string]any{}},
		nil, http.StatusOK).must(t)
	s, _ := time.Parse(time.RFC3339Nano, pw2.str("startDateTime"))
	e, _ := time.Parse(time.RFC3339Nano, pw2.str("endDateTime"))
	if !e.Equal(s.AddDate(2, 0, 0)) {
		t.Errorf("default endDateTime %v, want start+2y (%v)", e, s.AddDate(2, 0, 0))
	}

	// The app has no SP yet: it cannot sign in anywhere.
	appCredT2 := coreCred(t, sim, coreT2, appID, secret)
	if _, err := appCredT2.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}}); aadCode(err) != "AADSTS700016" {
		t.Fatalf("sign-in before SP: %v", err)
	}
	// SP in the home tenant and in the consumer tenant (multi-tenant app), 409 on repeat.
	g1.do(t, "POST", "/servicePrincipals", map[string]any{"appId": appID}, nil, http.StatusCreated).must(t)
	sp2 := g2.do(t, "POST", "/servicePrincipals", map[string]any{"appId": appID}, nil, http.StatusCreated).must(t)
	if sp2.str("appOwnerOrganizationId") != coreT1 || sp2.str("appId") != appID {
		t.Errorf("SP = %v", sp2.body)
	}
	if dup := g2.do(t, "POST", "/servicePrincipals", map[string]any{"appId": appID}, nil, http.StatusCreated); dup.status != http.StatusConflict || dup.code() != "Request_MultipleObjectsWithSameKeyValue" {
		t.Errorf("duplicate SP: %d %s", dup.status, dup.code())
	}
	// Upsert of an existing SP is 204; get by appId and $filter.
	g2.do(t, "PATCH", "/servicePrincipals(appId='"+appID+"')", map[string]any{"tags": []string{"x"}},
		map[string]string{"Prefer": "create-if-missing"}, http.StatusNoContent).must(t)
	if got := g2.do(t, "GET", "/servicePrincipals(appId='"+appID+"')", nil, nil, http.StatusOK).must(t); got.str("id") != sp2.str("id") {
		t.Errorf("GET SP by appId = %v", got.body)
	}
	if l := g2.do(t, "GET", "/servicePrincipals?$filter="+url.QueryEscape("appId eq '"+appID+"'"), nil, nil, http.StatusOK).must(t); len(l.body["value"].([]any)) != 1 {
		t.Errorf("SP filter: %v", l.body)
	}
	// Now the secret added through Graph signs in, in both tenants, and the token's oid is the tenant's SP.
	tok, err := appCredT2.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}})
	if err != nil {
		t.Fatalf("sign-in in consumer tenant: %v", err)
	}
	if c := jwtBody(t, tok.Token); c["oid"] != sp2.str("id") || c["tid"] != coreT2 {
		t.Errorf("token claims = %v", c)
	}
	if _, err := coreCred(t, sim, coreT1, appID, secret).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}}); err != nil {
		t.Errorf("sign-in in home tenant: %v", err)
	}
	// removePassword: the secret stops working.
	g1.do(t, "POST", "/applications/"+id+"/removePassword", map[string]any{"keyId": keyID}, nil, http.StatusNoContent).must(t)
	if _, err := coreCred(t, sim, coreT1, appID, secret).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}}); aadCode(err) != "AADSTS7000215" {
		t.Errorf("sign-in with removed secret: %v", err)
	}
	// Delete SP and app.
	g2.do(t, "DELETE", "/servicePrincipals/"+sp2.str("id"), nil, nil, http.StatusNoContent).must(t)
	if got := g2.do(t, "GET", "/servicePrincipals(appId='"+appID+"')", nil, nil, http.StatusOK); got.status != http.StatusNotFound || got.code() != "Request_ResourceNotFound" {
		t.Errorf("GET deleted SP: %d %s", got.status, got.code())
	}
	g1.do(t, "DELETE", "/applications/"+id, nil, nil, http.StatusNoContent).must(t)
	if got := g1.do(t, "GET", "/applications/"+id, nil, nil, http.StatusOK); got.status != http.StatusNotFound || got.code() != "Request_ResourceNotFound" {
		t.Errorf("GET deleted app: %d %s", got.status, got.code())
	}
}

func TestUpsertByUniqueName(t *testing.T) {
	sim := coreStart(t, Options{})
	g1 := coreGraphFor(t, sim, coreT1, coreOp1)
	body := multiTenantApp("myGalleryApp")
	p := "/applications(uniqueName='contoso-golden-images-mygalleryapp')"
	if got := g1.do(t, "PATCH", p, body, nil, http.StatusNoContent); got.status != http.StatusNotFound {
		t.Fatalf("PATCH without Prefer on a missing app: %d", got.status)
	}
	created := g1.do(t, "PATCH", p, body, map[string]string{"Prefer": "create-if-missing"}, http.StatusCreated).must(t)
	if created.str("uniqueName") != "contoso-golden-images-mygalleryapp" {
		t.Fatalf("created = %v", created.body)
	}
	body["notes"] = "second apply"
	g1.do(t, "PATCH", p, body, map[string]string{"Prefer": "create-if-missing"}, http.StatusNoContent).must(t)
	got := g1.do(t, "GET", p, nil, nil, http.StatusOK).must(t)
	if got.str("id") != created.str("id") || got.str("notes") != "second apply" {
		t.Errorf("after upsert: %v", got.body)
	}
	if n := len(sim.Applications(coreT1)); n != 2 { // the operator's own app + this one
		t.Errorf("%d apps in tenant, want 2", n)
	}
	if dup := g1.do(t, "POST", "/applications", map[string]any{"displayName": "x", "uniqueName": "contoso-golden-images-mygalleryapp"}, nil, http.StatusCreated); dup.code() != "Request_MultipleObjectsWithSameKeyValue" {
		t.Errorf("duplicate uniqueName: %d %s", dup.status, dup.code())
	}
}

func TestGraphErrors(t *testing.T) {
	sim := coreStart(t, Options{})
	g1 := coreGraphFor(t, sim, coreT1, coreOp1)
	g2 := coreGraphFor(t, sim, coreT2, coreOp2)
	g3 := coreGraphFor(t, sim, coreT3, coreOp3)
	g4 := coreGraphFor(t, sim, coreT4, coreOp4)
	single := g1.do(t, "POST", "/applications", map[string]any{"displayName": "single"}, nil, http.StatusCreated).must(t)
	multi := g1.do(t, "POST", "/applications", map[string]any{"displayName": "multi", "signInAudience": "AzureADMultipleOrgs"}, nil, http.StatusCreated).must(t)
	owned := g3.do(t, "POST", "/applications", map[string]any{"displayName": "owned"}, nil, http.StatusCreated).must(t)

	cases := []struct {
		name       string
		c          *graphClient
		method, p  string
		body       any
		wantStatus int
		wantCode   string
	}{
		{"personal accounts need token v2", g1, "POST", "/applications", map[string]any{"displayName": "x",
			"signInAudience": "AzureADandPersonalMicrosoftAccount"}, 400, "InvalidAccessTokenVersion"},
		{"bad signInAudience", g1, "POST", "/applications", map[string]any{"displayName": "x", "signInAudience": "Everyone"}, 400, "Request_BadRequest"},
		{"unknown property", g1, "POST", "/applications", map[string]any{"displayName": "x", "colour": "red"}, 400, "Request_BadRequest"},
		{"http redirect", g1, "POST", "/applications", map[string]any{"displayName": "x", "web": map[string]any{"redirectUris": []string{"http://example.com"}}}, 400, "Request_BadRequest"},
		{"missing app", g1, "GET", "/applications/00000000-0000-0000-0000-000000000000", nil, 404, "Request_ResourceNotFound"},
		{"single-tenant app SP elsewhere", g2, "POST", "/servicePrincipals", map[string]any{"appId": single.str("appId")}, 400, "Request_BadRequest"},
		{"unknown appId SP", g2, "POST", "/servicePrincipals", map[string]any{"appId": "12345678-0000-0000-0000-000000000000"}, 400, "Request_BadRequest"},
		{"OwnedBy: foreign app SP", g3, "POST", "/servicePrincipals", map[string]any{"appId": multi.str("appId")}, 403, "Authorization_RequestDenied"},
		{"OwnedBy: foreign app read", g3, "GET", "/applications(appId='" + coreOp3 + "')", nil, 403, "Authorization_RequestDenied"},
		{"no permission: list", g4, "GET", "/applications", nil, 403, "Authorization_RequestDenied"},
		{"no permission: create", g4, "POST", "/applications", map[string]any{"displayName": "x"}, 403, "Authorization_RequestDenied"},
		{"bad filter", g1, "GET", "/applications?$filter=" + url.QueryEscape("displayName ne 'x'"), nil, 400, "Request_UnsupportedQuery"},
		{"bad $top", g1, "GET", "/applications?$top=5000", nil, 400, "Request_BadRequest"},
		{"PATCH passwordCredentials", g1, "PATCH", "/applications/" + single.str("id"), map[string]any{"passwordCredentials": []any{map[string]any{"keyId": "x"}}}, 400, "Request_BadRequest"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.c.do(t, tc.method, tc.p, tc.body, nil, http.StatusOK, http.StatusCreated, http.StatusNoContent)
			if got.status != tc.wantStatus || got.code() != tc.wantCode {
				t.Errorf("got %d %q, want %d %q (%v)", got.status, got.code(), tc.wantStatus, tc.wantCode, got.err)
			}
		})
	}
	t.Run("NoBackingApplicationObject detail", func(t *testing.T) {
		got := g2.do(t, "POST", "/servicePrincipals", map[string]any{"appId": single.str("appId")}, nil, http.StatusCreated)
		if got.err == nil || !contains(got.err.Error(), "NoBackingApplicationObject") {
			t.Errorf("error lacks NoBackingApplicationObject detail: %v", got.err)
		}
	})
	t.Run("OwnedBy manages its own app", func(t *testing.T) {
		g3.do(t, "PATCH", "/applications/"+owned.str("id"), map[string]any{"notes": "mine"}, nil, http.StatusNoContent).must(t)
		g3.do(t, "POST", "/servicePrincipals", map[string]any{"appId": owned.str("appId")}, nil, http.StatusCreated).must(t)
		l := g3.do(t, "GET", "/applications", nil, nil, http.StatusOK).must(t)
		if v := l.body["value"].([]any); len(v) != 1 {
			t.Errorf("OwnedBy list shows %d apps, want only the owned one", len(v))
		}
	})
	t.Run("401 shapes", func(t *testing.T) {
		for _, tc := range []struct{ name, auth, wantMsg string }{
			{"missing", "", "Access token is empty."},
			{"garbage", "Bearer abc.def.ghi", "Signature is invalid"},
		} {
			req, _ := http.NewRequest("GET", sim.URL()+"/v1.0/applications", nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := sim.HTTPClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b := readAll(t, resp)
			if resp.StatusCode != 401 || !contains(b, "InvalidAuthenticationToken") || !contains(b, tc.wantMsg) || resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: %d %s", tc.name, resp.StatusCode, b)
			}
		}
		// An ARM token is refused by Graph (wrong audience).
		cred := coreCred(t, sim, coreT1, coreOp1, coreSecrets[coreOp1])
		tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", sim.URL()+"/v1.0/applications", nil)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		resp, err := sim.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if b := readAll(t, resp); resp.StatusCode != 401 || !contains(b, "Invalid audience") {
			t.Errorf("ARM token at Graph: %d %s", resp.StatusCode, b)
		}
	})
}

func TestGraphPaging(t *testing.T) {
	sim := coreStart(t, Options{})
	g1 := coreGraphFor(t, sim, coreT1, coreOp1)
	for i := range 5 {
		g1.do(t, "POST", "/applications", map[string]any{"displayName": fmt.Sprintf("page-%d", i), "tags": []string{"paged"}}, nil, http.StatusCreated).must(t)
	}
	next := "/applications?$top=2&$filter=" + url.QueryEscape("tags/any(x:x eq 'paged')")
	var names []string
	pages := 0
	for next != "" {
		r := g1.do(t, "GET", next, nil, nil, http.StatusOK).must(t)
		pages++
		for _, v := range r.body["value"].([]any) {
			names = append(names, v.(map[string]any)["displayName"].(string))
		}
		next, _ = r.body["@odata.nextLink"].(string)
		if next != "" && !contains(next, "https://") {
			t.Fatalf("nextLink not absolute: %s", next)
		}
	}
	if pages != 3 || len(names) != 5 || names[0] != "page-0" || names[4] != "page-4" {
		t.Errorf("pages=%d names=%v", pages, names)
	}
}

func TestGraphBatch(t *testing.T) {
	sim := coreStart(t, Options{})
	g1 := coreGraphFor(t, sim, coreT1, coreOp1)
	app := g1.do(t, "POST", "/applications", map[string]any{"displayName": "batched"}, nil, http.StatusCreated).must(t)
	sim.ResetStats()
	r := g1.do(t, "POST", "/$batch", map[string]any{"requests": []any{
		map[string]any{"id": "1", "method": "GET", "url": "/applications/" + app.str("id")},
		map[string]any{"id": "2", "method": "GET", "url": "/applications/00000000-0000-0000-0000-000000000000"},
		map[string]any{"id": "3", "method": "PATCH", "url": "/applications/" + app.str("id"), "dependsOn": []string{"2"},
			"headers": map[string]string{"Content-Type": "application/json"}, "body": map[string]any{"notes": "x"}},
	}}, nil, http.StatusOK).must(t)
	got := map[string]float64{}
	for _, x := range r.body["responses"].([]any) {
		m := x.(map[string]any)
		got[m["id"].(string)] = m["status"].(float64)
	}
	if got["1"] != 200 || got["2"] != 404 || got["3"] != 424 {
		t.Errorf("batch statuses = %v", got)
	}
	st := sim.Stats()
	if st.Routes["$batch/GET application"] != 2 || st.Writes != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestSoftDeleteAndRestore(t *testing.T) {
	sim := coreStart(t, Options{})
	g1 := coreGraphFor(t, sim, coreT1, coreOp1)
	app := g1.do(t, "POST", "/applications", map[string]any{"displayName": "bin", "uniqueName": "bin-app"}, nil, 201).must(t)
	id := app.str("id")
	g1.do(t, "DELETE", "/applications/"+id, nil, nil, 204).must(t)
	if got := g1.do(t, "GET", "/applications/"+id, nil, nil, 200); got.status != 404 {
		t.Fatalf("deleted app still readable: %d", got.status)
	}
	del := g1.do(t, "GET", "/directory/deletedItems/"+id, nil, nil, 200).must(t)
	if del.body["deletedDateTime"] == nil {
		t.Errorf("deletedDateTime missing: %v", del.body)
	}
	l := g1.do(t, "GET", "/directory/deletedItems/microsoft.graph.application", nil, nil, 200).must(t)
	if len(l.body["value"].([]any)) != 1 {
		t.Errorf("deleted list: %v", l.body)
	}
	g1.do(t, "POST", "/directory/deletedItems/"+id+"/restore", nil, nil, 200).must(t)
	if got := g1.do(t, "GET", "/applications(uniqueName='bin-app')", nil, nil, 200).must(t); got.str("id") != id {
		t.Errorf("restored app: %v", got.body)
	}
	g1.do(t, "DELETE", "/applications/"+id, nil, nil, 204).must(t)
	g1.do(t, "DELETE", "/directory/deletedItems/"+id, nil, nil, 204).must(t)
	if got := g1.do(t, "GET", "/directory/deletedItems/"+id, nil, nil, 200); got.status != 404 {
		t.Errorf("purged item still there: %d", got.status)
	}
}

func TestGraphFilterParsing(t *testing.T) {
	allowed := map[string]bool{"appid": true, "displayname": true, "tags": true}
	obj := map[string]any{"appId": "A1", "displayName": "My App", "tags": []string{"x", "y"}}
	cases := []struct {
		filter  string
		match   bool
		wantErr bool
	}{
		{"appId eq 'a1'", true, false},
		{"appId eq 'a2'", false, false},
		{"appId in ('a0', 'A1')", true, false},
		{"appId in ('a0','a2')", false, false},
		{"startsWith(displayName,'my ')", true, false},
		{"tags/any(t:t eq 'y')", true, false},
		{"tags/any(t:t eq 'z')", false, false},
		{"appId eq 'a1' and tags/any(c:c eq 'x')", true, false},
		{"displayName eq 'It''s'", false, false},
		{"appId ne 'a1'", false, true},
		{"id eq 'x'", false, true},
		{"tags/any(t:s eq 'x')", false, true},
	}
	for _, tc := range cases {
		conds, err := parseGraphFilter(tc.filter, allowed)
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: err = %v", tc.filter, err)
			continue
		}
		if err == nil && matchesFilter(obj, conds) != tc.match {
			t.Errorf("%q: match = %v, want %v", tc.filter, !tc.match, tc.match)
		}
	}
}
