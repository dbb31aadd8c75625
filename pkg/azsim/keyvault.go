package azsim

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// This file is the Key Vault secrets data plane (REST API 7.x and its dated successors) for the vaults a seed
// declares: set (each a new version), get (current or a version), list secrets and versions, update attributes and
// delete (soft: the name stays taken). Every request is challenged first, as Key Vault does, and authorized with
// RBAC data actions (Key Vault Secrets Officer / User). Behaviour follows the public REST reference: an expired
// secret is still returned (exp is advisory for secrets), a disabled one is 403 SecretDisabled.

// maxSecretValue is Key Vault's limit on a secret value (25 KiB).
const maxSecretValue = 25 * 1024

// kvAPIVersion matches the api-versions Key Vault accepts: 7.x (with -preview) and dated versions.
var kvAPIVersion = regexp.MustCompile(`^(7\.\d(-preview(\.\d+)?)?|20\d\d-\d\d-\d\d(-preview)?)$`)

// vaultHostName returns the vault name of a NAME.vault.azsim.localhost[:port] host, and whether host is one.
func vaultHostName(host string) (string, bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	name, ok := strings.CutSuffix(host, "."+KeyVaultDNSSuffix)
	if !ok || name == "" || strings.Contains(name, ".") {
		return "", false
	}
	return name, true
}

// kvRouteName labels a vault path for stats and faults: "secret", "secret versions", "secrets".
func kvRouteName(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case len(segs) == 1 && eq(segs[0], "secrets"):
		return "secrets"
	case len(segs) == 3 && eq(segs[0], "secrets") && eq(segs[2], "versions"):
		return "secret versions"
	case len(segs) >= 2 && eq(segs[0], "secrets"):
		return "secret"
	}
	return "vault " + strings.Trim(p, "/")
}

// serveKeyVault serves a request sent to a vault host.
func (s *Server) serveKeyVault(w http.ResponseWriter, r *http.Request, name string) {
	// The body is read before the world is locked, so a slow client holds up nobody else.
	var body []byte
	if r.Method == http.MethodPut || r.Method == http.MethodPatch {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, 4*maxSecretValue)); err != nil {
			writeKVError(w, http.StatusBadRequest, "BadParameter", "The request body could not be read.", "")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vault(name)
	if v == nil {
		// In Azure the name would not resolve at all; the simulator answers instead of dropping the connection.
		writeKVError(w, http.StatusNotFound, "VaultNotFound", "No vault named "+name+" exists in the simulated "+
			"world (in Azure this host name would not resolve). Declare it under a resource group's vaults.", "")
		return
	}
	c := s.kvAuthenticate(w, r, v)
	if c == nil {
		return
	}
	if av := r.URL.Query().Get("api-version"); av == "" || !kvAPIVersion.MatchString(av) {
		writeKVError(w, http.StatusBadRequest, "BadParameter", "The request URI contains an invalid or missing "+
			"api-version parameter ('"+av+"').", "")
		return
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) == 0 || !eq(segs[0], "secrets") || len(segs) > 3 {
		writeKVError(w, http.StatusNotFound, "NotFound", "The requested resource was not found.", "")
		return
	}
	if len(segs) == 1 || segs[1] == "" {
		if r.Method != http.MethodGet {
			kvMethodNotAllowed(w, r)
			return
		}
		if s.kvAuthorize(w, c, v, kvActionReadMetadata, v.ResourceID) {
			s.kvListSecrets(w, v)
		}
		return
	}
	secretName := segs[1]
	if !secretNamePattern.MatchString(secretName) {
		writeKVError(w, http.StatusBadRequest, "BadParameter", "The request URI contains an invalid name: "+
			secretName+". Secret names may only contain alphanumeric characters and dashes.", "")
		return
	}
	scope := v.ResourceID + "/secrets/" + secretName
	version := ""
	if len(segs) == 3 {
		version = segs[2]
	}
	switch {
	case r.Method == http.MethodPut && version == "":
		if s.kvAuthorize(w, c, v, kvActionSetSecret, scope) {
			s.kvSetSecret(w, body, v, secretName)
		}
	case r.Method == http.MethodGet && eq(version, "versions"):
		if s.kvAuthorize(w, c, v, kvActionReadMetadata, scope) {
			s.kvListVersions(w, v, secretName)
		}
	case r.Method == http.MethodGet:
		if s.kvAuthorize(w, c, v, kvActionGetSecret, scope) {
			s.kvGetSecret(w, v, secretName, version)
		}
	case r.Method == http.MethodPatch:
		if s.kvAuthorize(w, c, v, kvActionSetSecret, scope) {
			s.kvUpdateSecret(w, body, v, secretName, version)
		}
	case r.Method == http.MethodDelete && version == "":
		if s.kvAuthorize(w, c, v, kvActionDelete, scope) {
			s.kvDeleteSecret(w, v, secretName)
		}
	default:
		kvMethodNotAllowed(w, r)
	}
}

func kvMethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeKVError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The method "+r.Method+
		" is not allowed on this resource.", "")
}

// kvSecretAttributes is the attributes object on the wire.
type kvSecretAttributes struct {
	Enabled         *bool  `json:"enabled,omitempty"`
	NotBefore       *int64 `json:"nbf,omitempty"`
	Expires         *int64 `json:"exp,omitempty"`
	Created         int64  `json:"created,omitempty"`
	Updated         int64  `json:"updated,omitempty"`
	RecoveryLevel   string `json:"recoveryLevel,omitempty"`
	RecoverableDays int    `json:"recoverableDays,omitempty"`
}

// kvSecretBody is a SecretBundle (with value) or a SecretItem (without) on the wire.
type kvSecretBody struct {
	Value       *string            `json:"value,omitempty"`
	ID          string             `json:"id,omitempty"`
	ContentType string             `json:"contentType,omitempty"`
	Attributes  kvSecretAttributes `json:"attributes"`
	Tags        map[string]string  `json:"tags,omitempty"`
}

func (v *keyVault) baseURL() string {
	return "https://" + strings.ToLower(v.Name) + "." + KeyVaultDNSSuffix
}

func kvBody(v *keyVault, name string, sv *kvSecretVersion, withValue, withVersion bool) kvSecretBody {
	enabled := sv.Enabled
	b := kvSecretBody{
		ID: v.baseURL() + "/secrets/" + name, ContentType: sv.ContentType, Tags: sv.Tags,
		Attributes: kvSecretAttributes{Enabled: &enabled, NotBefore: sv.NotBefore, Expires: sv.Expires,
			Created: sv.Created, Updated: sv.Updated, RecoveryLevel: "Recoverable+Purgeable", RecoverableDays: 90},
	}
	if withVersion {
		b.ID += "/" + sv.Version
	}
	if withValue {
		val := sv.Value
		b.Value = &val
	}
	return b
}

// liveSecret is the named secret unless it is absent or deleted.
func (v *keyVault) liveSecret(name string) *kvSecret {
	sec := v.Secrets[strings.ToLower(name)]
	if sec == nil || sec.Deleted != nil || len(sec.Versions) == 0 {
		return nil
	}
	return sec
}

func kvSecretNotFound(w http.ResponseWriter, name string) {
	writeKVError(w, http.StatusNotFound, "SecretNotFound", "A secret with (name/id) "+name+" was not found in this "+
		"key vault. If you recently deleted this secret you may be able to recover it using the correct recovery "+
		"command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182", "")
}

func (s *Server) kvSetSecret(w http.ResponseWriter, body []byte, v *keyVault, name string) {
	var req struct {
		Value       *string             `json:"value"`
		ContentType string              `json:"contentType"`
		Tags        map[string]string   `json:"tags"`
		Attributes  *kvSecretAttributes `json:"attributes"`
	}
	if json.Unmarshal(body, &req) != nil {
		writeKVError(w, http.StatusBadRequest, "BadParameter", "The request body is not valid JSON.", "")
		return
	}
	switch {
	case req.Value == nil:
		writeKVError(w, http.StatusBadRequest, "BadParameter", "Property 'value' is required.", "")
		return
	case len(*req.Value) > maxSecretValue:
		writeKVError(w, http.StatusBadRequest, "BadParameter", "The secret value exceeds the maximum size of 25 KB.", "")
		return
	case len(req.Tags) > 15:
		writeKVError(w, http.StatusBadRequest, "BadParameter", "A secret may have at most 15 tags.", "")
		return
	}
	key := strings.ToLower(name)
	sec := v.Secrets[key]
	if sec != nil && sec.Deleted != nil {
		writeKVError(w, http.StatusConflict, "Conflict", "Secret "+name+" is currently in a deleted but recoverable "+
			"state, and its name cannot be reused; in this state, the secret can only be recovered or purged.",
			"ObjectIsDeletedButRecoverable")
		return
	}
	if sec == nil {
		sec = &kvSecret{Name: name}
		v.Secrets[key] = sec
	}
	now := s.now().Unix()
	sv := &kvSecretVersion{
		Version: strings.ReplaceAll(uuid.NewString(), "-", ""), Value: *req.Value, ContentType: req.ContentType,
		Tags: req.Tags, Enabled: true, Created: now, Updated: now,
	}
	if a := req.Attributes; a != nil {
		if a.Enabled != nil {
			sv.Enabled = *a.Enabled
		}
		sv.NotBefore, sv.Expires = a.NotBefore, a.Expires
	}
	sec.Versions = append(sec.Versions, sv)
	s.changed()
	writeJSON(w, http.StatusOK, kvBody(v, sec.Name, sv, true, true))
}

func (s *Server) kvGetSecret(w http.ResponseWriter, v *keyVault, name, version string) {
	sec := v.liveSecret(name)
	if sec == nil {
		kvSecretNotFound(w, name)
		return
	}
	sv := sec.version(version)
	if sv == nil {
		kvSecretNotFound(w, name+"/"+version)
		return
	}
	if !sv.Enabled {
		writeKVError(w, http.StatusForbidden, "Forbidden", "Operation get is not allowed on a disabled secret.",
			"SecretDisabled")
		return
	}
	writeJSON(w, http.StatusOK, kvBody(v, sec.Name, sv, true, true))
}

func (s *Server) kvUpdateSecret(w http.ResponseWriter, body []byte, v *keyVault, name, version string) {
	sec := v.liveSecret(name)
	var sv *kvSecretVersion
	if sec != nil {
		sv = sec.version(version)
	}
	if sv == nil {
		kvSecretNotFound(w, name+"/"+version)
		return
	}
	var req struct {
		ContentType *string             `json:"contentType"`
		Tags        map[string]string   `json:"tags"`
		Attributes  *kvSecretAttributes `json:"attributes"`
	}
	if json.Unmarshal(body, &req) != nil {
		writeKVError(w, http.StatusBadRequest, "BadParameter", "The request body is not valid JSON.", "")
		return
	}
	if req.ContentType != nil {
		sv.ContentType = *req.ContentType
	}
	if req.Tags != nil {
		sv.Tags = req.Tags
	}
	if a := req.Attributes; a != nil {
		if a.Enabled != nil {
			sv.Enabled = *a.Enabled
		}
		if a.NotBefore != nil {
			sv.NotBefore = a.NotBefore
		}
		if a.Expires != nil {
			sv.Expires = a.Expires
		}
	}
	sv.Updated = s.now().Unix()
	s.changed()
	writeJSON(w, http.StatusOK, kvBody(v, sec.Name, sv, false, true))
}

func (s *Server) kvDeleteSecret(w http.ResponseWriter, v *keyVault, name string) {
	sec := v.liveSecret(name)
	if sec == nil {
		kvSecretNotFound(w, name)
		return
	}
	now := s.now()
	sec.Deleted = unixPtr(now)
	s.changed()
	b := kvBody(v, sec.Name, sec.current(), false, true)
	writeJSON(w, http.StatusOK, map[string]any{
		"id": b.ID, "contentType": b.ContentType, "attributes": b.Attributes, "tags": b.Tags,
		"recoveryId":         v.baseURL() + "/deletedsecrets/" + sec.Name,
		"deletedDate":        now.Unix(),
		"scheduledPurgeDate": now.AddDate(0, 0, 90).Unix(),
	})
}

func (s *Server) kvListSecrets(w http.ResponseWriter, v *keyVault) {
	names := make([]string, 0, len(v.Secrets))
	for k, sec := range v.Secrets {
		if v.liveSecret(sec.Name) != nil {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	items := make([]kvSecretBody, 0, len(names))
	for _, k := range names {
		sec := v.Secrets[k]
		items = append(items, kvBody(v, sec.Name, sec.current(), false, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": items, "nextLink": nil})
}

func (s *Server) kvListVersions(w http.ResponseWriter, v *keyVault, name string) {
	items := []kvSecretBody{}
	if sec := v.liveSecret(name); sec != nil {
		for _, sv := range sec.Versions {
			items = append(items, kvBody(v, sec.Name, sv, false, true))
		}
	}
	// Key Vault answers an empty list, not 404, for a name with no versions.
	writeJSON(w, http.StatusOK, map[string]any{"value": items, "nextLink": nil})
}
