package spec

import (
	"net"
	"net/url"
	"strings"
)

// checkState checks the `state:` key: a blob URL every runner can reach,
// with no credential in it. The shape matches pkg/azure.ParseBlobURL,
// which the CLI applies again when it opens the state.
func (c *checker) checkState(st map[string]any, path string) {
	raw, ok := str(st, "url")
	if !ok {
		return
	}
	p := path + ".url"
	const hint = "write https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH.json (or http://127.0.0.1:PORT/ACCOUNT/CONTAINER/PATH.json for a local emulator)"
	u, err := url.Parse(raw)
	if err != nil {
		c.errorf(p, CodeStateURL, hint, "state URL %s is not a URL", quote(raw))
		return
	}
	if u.RawQuery != "" || u.User != nil || u.Fragment != "" {
		c.errorf(p, CodeSecret, "remove the query string: give a SAS in GALSHARE_STATE_SAS or a key in AZURE_STORAGE_CONNECTION_STRING, never in the manifest",
			"state URL has a query, user or fragment part (a SAS or key does not belong in the manifest)")
		return
	}
	parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	switch u.Scheme {
	case "https":
		account, _, ok := strings.Cut(u.Hostname(), ".blob.")
		if !ok || account == "" || len(parts) < 2 || parts[0] == "" || parts[len(parts)-1] == "" {
			c.errorf(p, CodeStateURL, hint, "state URL %s does not name a Blob endpoint, a container and a blob", quote(raw))
			return
		}
	case "http":
		ip := net.ParseIP(u.Hostname())
		if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			c.errorf(p, CodeStateURL, "use https for Azure; plain http is only for an emulator on a loopback address", "state URL %s uses plain http off loopback", quote(raw))
			return
		}
		if len(parts) < 3 || parts[0] == "" || parts[1] == "" || parts[len(parts)-1] == "" {
			c.errorf(p, CodeStateURL, hint, "state URL %s must be path-style: account, container and blob", quote(raw))
			return
		}
	default:
		c.errorf(p, CodeStateURL, hint, "state URL %s must use https", quote(raw))
		return
	}
	c.manifest.State.URL = raw
}
