package azsim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"
)

// Audiences the simulator issues tokens for. ARM accepts both spellings of the management audience, with or without a
// trailing slash, as Azure does.
const (
	audGraph         = "https://graph.microsoft.com"
	audARM           = "https://management.core.windows.net/"
	audARMAlt        = "https://management.azure.com/"
	audTokenExchange = "api://AzureADTokenExchange"
	graphAppID       = "00000003-0000-0000-c000-000000000000"
)

// Token verification failures, distinct so Graph and ARM can answer with their own 401 codes.
var (
	errTokenMissing  = errors.New("access token is missing")
	errTokenInvalid  = errors.New("access token is malformed or its signature is invalid")
	errTokenExpired  = errors.New("access token has expired")
	errTokenAudience = errors.New("access token audience is invalid")
)

// Claims is what the simulator's access tokens carry and what verifyToken returns.
type Claims struct {
	Tenant    string    // tid
	ObjectID  string    // oid: the service principal (or user) in Tenant
	AppID     string    // appid / azp
	Audience  string    // aud
	Issuer    string    // iss
	Subject   string    // sub
	Roles     []string  // Graph app roles granted to the service principal
	ExpiresAt time.Time // exp
}

// jwtClaims is the JSON body of a token.
type jwtClaims struct {
	Aud   string   `json:"aud"`
	Iss   string   `json:"iss"`
	Iat   int64    `json:"iat"`
	Nbf   int64    `json:"nbf"`
	Exp   int64    `json:"exp"`
	Sub   string   `json:"sub"`
	Tid   string   `json:"tid,omitempty"`
	Oid   string   `json:"oid,omitempty"`
	AppID string   `json:"appid,omitempty"`
	Azp   string   `json:"azp,omitempty"`
	Roles []string `json:"roles,omitempty"`
	Idtyp string   `json:"idtyp,omitempty"`
	Ver   string   `json:"ver,omitempty"`
	Jti   string   `json:"jti,omitempty"`
}

// tokenSigner signs and verifies ES256 JWTs with one P-256 key that persists with the world so tokens survive a
// restart. (ES256 rather than Entra's RS256: key generation is instant, which keeps in-process simulators cheap;
// no client verifies access tokens.) Verified tokens are cached by their raw text because verification dominates
// the cost of a simple request.
type tokenSigner struct {
	key *ecdsa.PrivateKey
	kid string

	cacheMu sync.Mutex
	cache   map[string]*jwtClaims
}

func newTokenSigner(key *ecdsa.PrivateKey) *tokenSigner {
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	sum := sha256.Sum256(der)
	return &tokenSigner{key: key, kid: base64.RawURLEncoding.EncodeToString(sum[:12]), cache: map[string]*jwtClaims{}}
}

func generateSigningKey() (*ecdsa.PrivateKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate token signing key: %w", err)
	}
	return k, nil
}

func encodeSigningKeyPEM(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

func decodeSigningKeyPEM(b []byte) (*ecdsa.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParseECPrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse signing key: %w", err)
	}
	return k, nil
}

func (ts *tokenSigner) sign(c *jwtClaims) (string, error) {
	hdr, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": ts.kid})
	body, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode token claims: %w", err)
	}
	signing := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(body)
	sum := sha256.Sum256([]byte(signing))
	r, sv, err := ecdsa.Sign(rand.Reader, ts.key, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sv.FillBytes(sig[32:])
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// parse verifies the signature of raw and decodes its claims; it does not check times or audience.
func (ts *tokenSigner) parse(raw string) (*jwtClaims, error) {
	ts.cacheMu.Lock()
	c, ok := ts.cache[raw]
	ts.cacheMu.Unlock()
	if ok {
		return c, nil
	}
	c, err := parseUnverified(raw)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(raw, ".")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return nil, errTokenInvalid
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(&ts.key.PublicKey, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return nil, errTokenInvalid
	}
	ts.cacheMu.Lock()
	if len(ts.cache) > 10000 {
		clear(ts.cache)
	}
	ts.cache[raw] = c
	ts.cacheMu.Unlock()
	return c, nil
}

// parseUnverified decodes a JWT's claims without checking its signature (used to route client assertions).
func parseUnverified(raw string) (*jwtClaims, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, errTokenInvalid
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &hdr) != nil {
		return nil, errTokenInvalid
	}
	bb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, errTokenInvalid
	}
	var c jwtClaims
	if err := json.Unmarshal(bb, &c); err != nil {
		// aud may be an array in foreign assertions.
		var alt struct {
			Aud []string `json:"aud"`
		}
		if json.Unmarshal(bb, &alt) != nil || len(alt.Aud) == 0 {
			return nil, errTokenInvalid
		}
		type noAud jwtClaims
		var na struct {
			noAud
			Aud []string `json:"aud"`
		}
		if json.Unmarshal(bb, &na) != nil {
			return nil, errTokenInvalid
		}
		c = jwtClaims(na.noAud)
		c.Aud = alt.Aud[0]
	}
	return &c, nil
}

// jwk returns the public signing key as a JSON Web Key for the discovery keys document.
func (ts *tokenSigner) jwk() map[string]any {
	pub, err := ts.key.PublicKey.Bytes() // uncompressed point 0x04 || X || Y
	if err != nil || len(pub) != 65 {
		return map[string]any{}
	}
	return map[string]any{
		"kty": "EC", "use": "sig", "alg": "ES256", "kid": ts.kid, "crv": "P-256",
		"x": base64.RawURLEncoding.EncodeToString(pub[1:33]),
		"y": base64.RawURLEncoding.EncodeToString(pub[33:]),
	}
}

// audienceMatches reports whether a token audience satisfies the wanted one, allowing the equivalent spellings of
// the ARM and Graph audiences.
func audienceMatches(got, want string) bool {
	norm := func(a string) string {
		a = strings.ToLower(strings.TrimRight(a, "/"))
		switch a {
		case "https://management.azure.com", "https://management.core.windows.net":
			return "arm"
		case "https://graph.microsoft.com", graphAppID:
			return "graph"
		}
		return a
	}
	return norm(got) == norm(want)
}

// verifyToken checks a bearer token (without the "Bearer " prefix) for signature, lifetime and audience and returns
// its claims. The errors are errTokenMissing, errTokenInvalid, errTokenExpired or errTokenAudience (wrapped).
func (s *Server) verifyToken(raw, wantAudience string) (*Claims, error) {
	if raw == "" {
		return nil, errTokenMissing
	}
	c, err := s.signer.parse(raw)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if now.Unix() >= c.Exp {
		return nil, errTokenExpired
	}
	if c.Nbf != 0 && now.Unix()+300 < c.Nbf {
		return nil, fmt.Errorf("%w: not yet valid", errTokenInvalid)
	}
	if !audienceMatches(c.Aud, wantAudience) {
		return nil, fmt.Errorf("%w: got %q", errTokenAudience, c.Aud)
	}
	return &Claims{
		Tenant: c.Tid, ObjectID: c.Oid, AppID: c.AppID, Audience: c.Aud, Issuer: c.Iss, Subject: c.Sub,
		Roles: c.Roles, ExpiresAt: time.Unix(c.Exp, 0),
	}, nil
}

// bearerToken extracts the token from an Authorization header value ("" when absent or not a bearer token).
func bearerToken(h string) string {
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
