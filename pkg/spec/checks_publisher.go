package spec

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Defaults applied when the manifest leaves a field out (documented in the
// README and in the schema's "default" keywords).
const (
	DefaultSignInAudience    = "AzureADMultipleOrgs"
	DefaultSecretDescription = "managed by galshare"
	DefaultSecretLifetime    = 8760 * time.Hour // the portal's 1 year
	DefaultRenewBefore       = 720 * time.Hour
	DefaultGalleryRole       = "Reader"
	// longLifetime is where Entra app-management policies commonly start
	// rejecting secrets (and the portal's longest choice).
	longLifetime = 2 * 8760 * time.Hour
)

var signInAudiences = []string{"AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount"}

func (c *checker) checkPublisher(p map[string]any, path string) {
	if p == nil {
		return
	}
	if s, ok := str(p, "tenant"); ok {
		if t, ok := c.checkTenant(childPath(path, "tenant"), s); ok {
			c.manifest.Publisher.Tenant = t
		}
	}
	c.checkApp(obj(p["app"]), childPath(path, "app"))
	c.checkGalleries(list(p["galleries"]), childPath(path, "galleries"))
}

var uniqueNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,119}$`)

func (c *checker) checkApp(a map[string]any, path string) {
	if a == nil {
		return
	}
	app := &c.manifest.Publisher.App
	if s, ok := str(a, "displayName"); ok {
		switch n := utf8.RuneCountInString(s); {
		case strings.TrimSpace(s) == "":
			c.errorf(childPath(path, "displayName"), CodeLength, "e.g. displayName: myGalleryApp", "the app's displayName is empty")
		case n > 256:
			c.errorf(childPath(path, "displayName"), CodeLength, "", "the app's displayName has %d characters; Entra allows 256", n)
		default:
			app.DisplayName = s
		}
	}
	if s, ok := str(a, "uniqueName"); ok {
		if uniqueNameRE.MatchString(s) {
			app.UniqueName, app.UniqueNameSet = s, true
		} else {
			c.errorf(childPath(path, "uniqueName"), CodeName,
				"use lowercase letters, digits and '-', starting with a letter or digit, at most 120 characters",
				"uniqueName %s is not valid", quote(s))
		}
	} else if _, present := a["uniqueName"]; !present && app.DisplayName != "" {
		app.UniqueName = DefaultUniqueName(c.manifest.Name, app.DisplayName)
	}
	app.SignInAudience = DefaultSignInAudience
	if s, ok := str(a, "signInAudience"); ok {
		c.checkSignInAudience(childPath(path, "signInAudience"), s)
	}
	c.checkRedirectURIs(list(a["redirectUris"]), childPath(path, "redirectUris"))
	if s, ok := a["secret"].(map[string]any); ok {
		c.checkSecret(s, childPath(path, "secret"))
	}
	if ad, ok := a["adopt"].(map[string]any); ok {
		c.checkAdopt(ad, childPath(path, "adopt"))
	}
}

// checkAdopt checks publisher.app.adopt: the appId of the app to take over.
func (c *checker) checkAdopt(a map[string]any, path string) {
	s, ok := str(a, "appId")
	if !ok {
		return // a missing or non-string appId is reported by the schema
	}
	switch {
	case !isGUID(s):
		if looksLikeSecretValue(s) {
			return // reported by checkSecretValues; never echo it
		}
		c.errorf(childPath(path, "appId"), CodeAppID,
			"the application (client) ID is a GUID: App registrations > the app > Overview, or `az ad app list --display-name NAME --query [].appId`",
			"appId %s is not a GUID", quote(s))
	case strings.EqualFold(s, nilGUID):
		c.errorf(childPath(path, "appId"), CodeAppID, "use the app's real application (client) ID", "the all-zero GUID is not an appId")
	default:
		c.manifest.Publisher.App.Adopt = &Adopt{AppID: strings.ToLower(s)}
	}
}

func (c *checker) checkSignInAudience(path, s string) {
	if contains(signInAudiences, s) {
		c.manifest.Publisher.App.SignInAudience = s
		return
	}
	hint := "allowed: " + strings.Join(signInAudiences, ", ")
	switch {
	case s == "AzureADMyOrg":
		hint = "a single-tenant app cannot sign in to other tenants, so consumers could not use it; " + hint
	case s == "PersonalMicrosoftAccount":
		hint = "personal accounts alone cannot be granted Azure roles in other tenants; " + hint
	default:
		if m := closest(s, signInAudiences); m != "" {
			hint = "did you mean " + m + "? " + hint
		}
	}
	c.errorf(path, CodeSignInAudience, hint, "signInAudience %s does not allow cross-tenant sign-in", quote(s))
}

// DefaultUniqueName derives the app's Graph uniqueName from the manifest
// name and the app's displayName: both lowercased, every run of characters
// other than [a-z0-9] turned into one '-', joined by '-', at most 120
// characters. The result is stable for a manifest, so galshare finds the
// same app again after its state file is lost.
func DefaultUniqueName(manifestName, displayName string) string {
	s := slug(manifestName + "-" + displayName)
	if len(s) > 120 {
		s = strings.TrimRight(s[:120], "-")
	}
	return s
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}

func (c *checker) checkRedirectURIs(items []any, path string) {
	seen := map[string]int{}
	for i, it := range items {
		s, ok := it.(string)
		if !ok {
			continue
		}
		p := indexPath(path, i)
		if err := checkRedirectURI(s); err != nil {
			c.errorf(p, CodeRedirectURI, "use an absolute https:// URI, or http://localhost for local tools; the procedure uses https://www.microsoft.com",
				"redirect URI %s is not valid: %v", quote(s), err)
			continue
		}
		if j, dup := seen[s]; dup {
			c.errorf(p, CodeDuplicate, "remove the repeat", "redirect URI %s is listed twice (also entry %d)", quote(s), j)
			continue
		}
		seen[s] = i
		c.manifest.Publisher.App.RedirectURIs = append(c.manifest.Publisher.App.RedirectURIs, s)
	}
}

// checkRedirectURI applies Entra's rules for web redirect URIs.
func checkRedirectURI(s string) error {
	if len(s) > 256 {
		return fmt.Errorf("it is longer than 256 characters")
	}
	if strings.ContainsAny(s, " \t*") {
		return fmt.Errorf("it contains a space or a wildcard")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("it does not parse as a URI")
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return fmt.Errorf("it has a fragment (#)")
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return fmt.Errorf("it has no host")
		}
		return nil
	case "http":
		if h := u.Hostname(); h == "localhost" || h == "127.0.0.1" {
			return nil
		}
		return fmt.Errorf("http is allowed only for localhost")
	case "":
		return fmt.Errorf("it is not absolute")
	}
	return fmt.Errorf("scheme %q is not https", u.Scheme)
}

func (c *checker) checkSecret(s map[string]any, path string) {
	sec := &Secret{Description: DefaultSecretDescription, Lifetime: DefaultSecretLifetime, RenewBefore: DefaultRenewBefore}
	valid := true
	if d, ok := str(s, "description"); ok {
		if n := utf8.RuneCountInString(d); n > 256 {
			c.errorf(childPath(path, "description"), CodeLength, "", "the secret description has %d characters; Entra allows 256", n)
			valid = false
		} else if strings.TrimSpace(d) != "" {
			sec.Description = d
		}
	}
	durs := map[string]*time.Duration{"lifetime": &sec.Lifetime, "renewBefore": &sec.RenewBefore}
	durOK := true
	for _, key := range []string{"lifetime", "renewBefore"} {
		v, ok := str(s, key)
		if !ok {
			if _, present := s[key]; present {
				durOK = false
			}
			continue
		}
		d, err := ParseDuration(v)
		if err != nil {
			c.errorf(childPath(path, key), CodeDuration, "durations take Go units (h, m, s) plus d for days, e.g. 8760h or 365d", "%s %s is not valid: %v", key, quote(v), err)
			durOK, valid = false, false
			continue
		}
		*durs[key] = d
	}
	if durOK && sec.RenewBefore >= sec.Lifetime {
		c.errorf(childPath(path, "renewBefore"), CodeDuration,
			"renewBefore must be shorter than lifetime, or every plan would rotate the secret; the defaults are 8760h and 720h",
			"renewBefore (%s) is not shorter than lifetime (%s)", formatDuration(sec.RenewBefore), formatDuration(sec.Lifetime))
		valid = false
	}
	if durOK && sec.Lifetime > longLifetime {
		c.warnf(childPath(path, "lifetime"), CodeLongLifetime,
			"Entra app-management policies often reject secrets valid for more than 2 years; shorter lifetimes with renewBefore are safer",
			"lifetime %s is longer than 2 years", formatDuration(sec.Lifetime))
	}
	if v, ok := str(s, "deliverTo"); ok {
		if d, ok := c.checkDelivery(childPath(path, "deliverTo"), v); ok {
			sec.DeliverTo = d
		} else {
			valid = false
		}
	} else {
		valid = false
	}
	if valid {
		c.manifest.Publisher.App.Secret = sec
	}
}

// checkDelivery parses deliverTo: "file:PATH", PATH relative to the
// manifest's directory, or "keyvault:URL" (checks_keyvault.go).
func (c *checker) checkDelivery(path, v string) (Delivery, bool) {
	hint := "write file:PATH, e.g. file:secrets/myGalleryApp.json (relative to the manifest; keep it out of version control), " +
		"or keyvault:https://VAULT.vault.azure.net/secrets/NAME"
	kind, rest, ok := strings.Cut(v, ":")
	if !ok || kind == "" {
		c.errorf(path, CodeDelivery, hint, "deliverTo %s does not say how to deliver (file:PATH)", quote(v))
		return Delivery{}, false
	}
	if kind == DeliveryKeyVault {
		return c.checkKeyVaultDelivery(path, v)
	}
	if kind != DeliveryFile {
		c.errorf(path, CodeDelivery, hint, "deliverTo kind %s is not supported; use file: or keyvault:", quote(kind))
		return Delivery{}, false
	}
	if strings.HasPrefix(rest, "//") {
		c.errorf(path, CodeDelivery, hint, "deliverTo is a file:// URL; write file:PATH instead")
		return Delivery{}, false
	}
	if strings.TrimSpace(rest) == "" {
		c.errorf(path, CodeDelivery, hint, "deliverTo names no file")
		return Delivery{}, false
	}
	if strings.HasSuffix(rest, "/") || strings.HasSuffix(rest, string(filepath.Separator)) || rest == "." || rest == ".." {
		c.errorf(path, CodeDelivery, hint, "deliverTo %s names a directory, not a file", quote(v))
		return Delivery{}, false
	}
	p := filepath.FromSlash(rest)
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.dir, p)
	}
	p = filepath.Clean(p)
	if c.manifest.Path != "" && p == c.manifest.Path {
		c.errorf(path, CodeDelivery, hint, "deliverTo is the manifest itself")
		return Delivery{}, false
	}
	return Delivery{Kind: DeliveryFile, Path: p, Written: v}, true
}
