package planner

import (
	"net/url"
	"strings"
)

// appIDPlaceholder stands for the appId in URLs and commands while the app
// does not exist yet.
const appIDPlaceholder = "<appId>"

// authority returns the sign-in host without a trailing slash.
func (b *builder) authority() string {
	h := b.opts.AuthorityHost
	if h == "" {
		h = DefaultAuthorityHost
	}
	return strings.TrimSuffix(h, "/")
}

// appID returns the app's client id when the plan knows it.
func (b *builder) appID() string {
	if c := b.byAddr[AppAddress(b.m.Publisher.App.DisplayName)]; c != nil && c.App != nil {
		return c.App.AppID
	}
	return ""
}

// ConsentURL is the documented sign-in URL with which an admin of tenant
// consents to the app (creating its service principal there).
func ConsentURL(authorityHost, tenant, appID, redirectURI string) string {
	u := strings.TrimSuffix(authorityHost, "/") + "/" + tenant + "/oauth2/authorize?client_id=" + appID +
		"&response_type=code"
	if redirectURI != "" {
		u += "&redirect_uri=" + url.QueryEscape(redirectURI)
	}
	return u
}

// AdminConsentURL is the tenant-wide admin-consent URL, an alternative to
// ConsentURL.
func AdminConsentURL(authorityHost, tenant, appID string) string {
	return strings.TrimSuffix(authorityHost, "/") + "/" + tenant + "/adminconsent?client_id=" + appID
}

// RoleGrantCommand is the exact Azure CLI line a tenant admin runs to grant
// the app a role.
func RoleGrantCommand(appID, role, scope string) string {
	return "az role assignment create --assignee " + appID + " --role \"" + role + "\" --scope " + scope
}

// consentBlock is the blocked detail for a service principal galshare may
// not or cannot create.
func (b *builder) consentBlock(tenant, why string) *BlockedInfo {
	appID := b.appID()
	known := appID != ""
	if !known {
		appID = appIDPlaceholder
	}
	redirect := ""
	if rs := b.m.Publisher.App.RedirectURIs; len(rs) > 0 {
		redirect = rs[0]
	}
	bi := &BlockedInfo{
		Why:             why,
		ConsentURL:      ConsentURL(b.authority(), tenant, appID, redirect),
		AdminConsentURL: AdminConsentURL(b.authority(), tenant, appID),
		Instructions: []string{"An administrator of tenant " + tenant + " opens the consent URL, signs in and " +
			"accepts; this creates the app's service principal there. Then run apply again."},
	}
	if !known {
		bi.Instructions = append(bi.Instructions,
			"The appId is not known yet: it will be known after apply creates the app; plan again then for the exact URL.")
	}
	return bi
}

// grantBlock is the blocked detail for a role assignment a human must make.
func (b *builder) grantBlock(tenant, role, scope, why string) *BlockedInfo {
	appID := b.appID()
	known := appID != ""
	if !known {
		appID = appIDPlaceholder
	}
	bi := &BlockedInfo{
		Why:     why,
		Command: RoleGrantCommand(appID, role, scope),
		Instructions: []string{"Someone allowed to assign roles in tenant " + tenant + " (Owner, User Access " +
			"Administrator or Role Based Access Control Administrator on the scope) runs the command."},
	}
	if !known {
		bi.Instructions = append(bi.Instructions,
			"The appId is not known yet: it will be known after apply creates the app; plan again then for the exact command.")
	}
	return bi
}

// deniedBlock is the blocked detail for an object refresh could not read.
func deniedBlock(o Obs, what, fix string) *BlockedInfo {
	why := "could not " + what
	if o.Err != nil {
		why = o.Err.Error()
	} else if o.Note != "" {
		why += ": " + o.Note
	}
	return &BlockedInfo{Why: why, Instructions: []string{fix}}
}
