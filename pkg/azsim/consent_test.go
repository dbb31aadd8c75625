package azsim

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	reForm  = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
	reInput = regexp.MustCompile(`<input type="(?:hidden|text)" (?:id="[^"]*" )?name="([^"]+)" value="([^"]*)"`)
)

// browser is a test client that behaves like a browser on the consent page: it does not follow redirects itself
// so the test can see the 302 to the (external) redirect URI.
func browser(sim *Sim) *http.Client {
	return &http.Client{Transport: sim.HTTPClient().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// submitConsent GETs the page, fills the form with login/password and presses the button named action.
func submitConsent(t *testing.T, sim *Sim, pageURL, login, passwd, action string) (*http.Response, string) {
	t.Helper()
	c := browser(sim)
	resp, err := c.Get(pageURL)
	if err != nil {
		t.Fatalf("GET consent page: %v", err)
	}
	page := readAll(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("consent page: %d %s", resp.StatusCode, page)
	}
	m := reForm.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form in page:\n%s", page)
	}
	form := url.Values{}
	for _, in := range reInput.FindAllStringSubmatch(page, -1) {
		form.Set(in[1], htmlUnescape(in[2]))
	}
	form.Set("login", login)
	form.Set("passwd", passwd)
	form.Set("action", action)
	resp, err = c.PostForm(sim.URL()+htmlUnescape(m[1]), form)
	if err != nil {
		t.Fatalf("POST consent form: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	return resp, string(b)
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

func TestConsentPageFlow(t *testing.T) {
	sim := coreStart(t, Options{})
	g1 := coreGraphFor(t, sim, coreT1, coreOp1)
	app := g1.do(t, "POST", "/applications", multiTenantApp("myGalleryApp"), nil, 201).must(t)
	appID := app.str("appId")
	authorize := sim.URL() + "/" + coreT2 + "/oauth2/authorize?client_id=" + appID +
		"&response_type=code&redirect_uri=https%3A%2F%2Fwww.microsoft.com%2F&state=xyz"

	t.Run("wrong password re-renders the page", func(t *testing.T) {
		resp, body := submitConsent(t, sim, authorize, "admin@fabrikam.onmicrosoft.com", "nope", "accept")
		if resp.StatusCode != 200 || !contains(body, "AADSTS50126") {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("non-admin cannot consent", func(t *testing.T) {
		resp, body := submitConsent(t, sim, authorize, "dev@fabrikam.onmicrosoft.com", "Dev-pass", "accept")
		if resp.StatusCode != 200 || !contains(body, "AADSTS90094") {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("cancel redirects with access_denied", func(t *testing.T) {
		resp, _ := submitConsent(t, sim, authorize, "admin@fabrikam.onmicrosoft.com", "Adm1n-pass", "cancel")
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != 302 || loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "xyz" {
			t.Errorf("%d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	if _, ok := sim.ServicePrincipal(coreT2, appID); ok {
		t.Fatal("SP exists before consent")
	}
	t.Run("accept creates the SP and redirects with a code", func(t *testing.T) {
		resp, _ := submitConsent(t, sim, authorize, "admin@fabrikam.onmicrosoft.com", "Adm1n-pass", "accept")
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || resp.StatusCode != 302 || loc.Host != "www.microsoft.com" || loc.Query().Get("code") == "" || loc.Query().Get("state") != "xyz" {
			t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		sp, ok := sim.ServicePrincipal(coreT2, appID)
		if !ok || sp.AppOwnerOrganizationID != coreT1 {
			t.Fatalf("SP after consent: %+v %v", sp, ok)
		}
		// It is a real SP: the consumer's operator sees it through Graph.
		g2 := coreGraphFor(t, sim, coreT2, coreOp2)
		g2.do(t, "GET", "/servicePrincipals(appId='"+appID+"')", nil, nil, 200).must(t)
	})
	t.Run("adminconsent endpoint", func(t *testing.T) {
		other := g1.do(t, "POST", "/applications", multiTenantApp("otherApp"), nil, 201).must(t).str("appId")
		resp, _ := submitConsent(t, sim, sim.URL()+"/"+coreT2+"/adminconsent?client_id="+other+"&state=s1",
			"admin@fabrikam.onmicrosoft.com", "Adm1n-pass", "accept")
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != 302 || loc.Query().Get("admin_consent") != "True" || loc.Query().Get("tenant") != coreT2 ||
			loc.Query().Get("state") != "s1" {
			t.Errorf("%d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, ok := sim.ServicePrincipal(coreT2, other); !ok {
			t.Error("adminconsent did not create the SP")
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct{ name, url, want string }{
			{"unregistered redirect", sim.URL() + "/" + coreT2 + "/oauth2/authorize?client_id=" + appID + "&response_type=code&redirect_uri=https%3A%2F%2Fevil.example", "AADSTS50011"},
			{"unknown app", sim.URL() + "/" + coreT2 + "/oauth2/authorize?client_id=12345678-1234-1234-1234-123456789012&response_type=code", "AADSTS700016"},
			{"single-tenant app elsewhere", sim.URL() + "/" + coreT2 + "/oauth2/authorize?client_id=" + coreOp1 + "&response_type=code", "AADSTS700016"},
			{"unknown tenant", sim.URL() + "/99999999-9999-9999-9999-999999999999/oauth2/authorize?client_id=" + appID + "&response_type=code", "AADSTS90002"},
		} {
			resp, err := browser(sim).Get(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if body := readAll(t, resp); resp.StatusCode != 400 || !contains(body, tc.want) {
				t.Errorf("%s: %d %s", tc.name, resp.StatusCode, body)
			}
		}
	})
}
