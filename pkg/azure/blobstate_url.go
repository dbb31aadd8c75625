package azure

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// BlobLocation is a state blob named by URL, split the way the Blob
// service addresses it.
type BlobLocation struct {
	// ServiceURL is the account's endpoint: https://ACCOUNT.blob.core.windows.net
	// or, path-style for emulators, http://127.0.0.1:PORT/ACCOUNT.
	ServiceURL string
	// Account is the storage account name.
	Account string
	// Container holds the blob.
	Container string
	// Blob is the blob's name inside the container (may contain '/').
	Blob string
}

// URL is the blob's full URL.
func (l BlobLocation) URL() string {
	return l.ServiceURL + "/" + l.Container + "/" + l.Blob
}

// ParseBlobURL checks a state URL: an https Blob endpoint
// (https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH.json, or another
// cloud's blob suffix) or, for local emulators such as Azurite, a
// path-style http URL on a loopback address
// (http://127.0.0.1:PORT/ACCOUNT/CONTAINER/PATH.json). A query string is
// refused: a SAS belongs in the environment, never in a manifest.
func ParseBlobURL(raw string) (BlobLocation, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return BlobLocation{}, fmt.Errorf("state URL %q: %w", raw, err)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return BlobLocation{}, fmt.Errorf("state URL %q has a query, fragment or user part: give the SAS or key in the environment (GALSHARE_STATE_SAS or AZURE_STORAGE_CONNECTION_STRING), never in the URL", redactQuery(raw))
	}
	parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	switch u.Scheme {
	case "https":
		account, _, ok := strings.Cut(u.Hostname(), ".blob.")
		if !ok || account == "" {
			return BlobLocation{}, fmt.Errorf("state URL %q: the host must be a Blob endpoint such as ACCOUNT.blob.core.windows.net", raw)
		}
		if len(parts) < 2 || parts[0] == "" || parts[len(parts)-1] == "" {
			return BlobLocation{}, fmt.Errorf("state URL %q must name a container and a blob: https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH.json", raw)
		}
		return BlobLocation{ServiceURL: "https://" + u.Host, Account: account, Container: parts[0], Blob: strings.Join(parts[1:], "/")}, nil
	case "http":
		ip := net.ParseIP(u.Hostname())
		if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return BlobLocation{}, fmt.Errorf("state URL %q: plain http is only for a local emulator on a loopback address (http://127.0.0.1:PORT/ACCOUNT/CONTAINER/PATH.json); use https for Azure", raw)
		}
		if len(parts) < 3 || parts[0] == "" || parts[1] == "" || parts[len(parts)-1] == "" {
			return BlobLocation{}, fmt.Errorf("state URL %q must be path-style: http://127.0.0.1:PORT/ACCOUNT/CONTAINER/PATH.json", raw)
		}
		return BlobLocation{ServiceURL: "http://" + u.Host + "/" + parts[0], Account: parts[0], Container: parts[1], Blob: strings.Join(parts[2:], "/")}, nil
	}
	return BlobLocation{}, fmt.Errorf("state URL %q: scheme must be https (or http on loopback for an emulator)", raw)
}

// redactQuery drops a URL's query so a pasted SAS never reaches a message.
func redactQuery(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		return raw[:i] + "?…"
	}
	return raw
}
