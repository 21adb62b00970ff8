package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// errBadToken is returned by [tokens.verify] for a token that is missing,
// malformed, wrongly signed or expired. The server answers it with 401.
var errBadToken = errors.New("invalid or missing bearer token")

// claims is what a shop token asserts: the user (sub), the shop the user
// may act for (shop, empty in a token from a login without a shop), and the
// expiry.
type claims struct {
	Sub  int64  `json:"sub"`
	Shop string `json:"shop,omitempty"`
	Iat  int64  `json:"iat"`
	Exp  int64  `json:"exp"`
}

// tokens issues and verifies HS256 JSON Web Tokens (RFC 7519) with a key
// drawn at start-up: a restart logs everybody out, which suits a demo. HS256
// is a few lines of crypto/hmac, so the example needs no JWT dependency.
type tokens struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

func newTokens(ttl time.Duration) (*tokens, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("draw token key: %w", err)
	}
	return &tokens{key: key, ttl: ttl, now: time.Now}, nil
}

// jwtHeader is the only header this server issues or accepts: pinning alg
// rules out "none" and algorithm-confusion tokens.
const jwtHeader = `{"alg":"HS256","typ":"JWT"}`

var b64 = base64.RawURLEncoding

// issue returns a signed token for user and shop.
func (t *tokens) issue(user int64, shop string) (string, error) {
	now := t.now()
	payload, err := json.Marshal(claims{Sub: user, Shop: shop, Iat: now.Unix(), Exp: now.Add(t.ttl).Unix()})
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	signed := b64.EncodeToString([]byte(jwtHeader)) + "." + b64.EncodeToString(payload)
	return signed + "." + b64.EncodeToString(t.sign(signed)), nil
}

func (t *tokens) sign(s string) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// verify checks a token's header, signature and expiry and returns its
// claims. Every failure is errBadToken, wrapped with the reason for logs.
func (t *tokens) verify(token string) (claims, error) {
	h, rest, ok1 := strings.Cut(token, ".")
	p, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 {
		return claims{}, fmt.Errorf("%w: not three parts", errBadToken)
	}
	header, err := b64.DecodeString(h)
	if err != nil || string(header) != jwtHeader {
		return claims{}, fmt.Errorf("%w: unexpected header", errBadToken)
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, t.sign(h+"."+p)) {
		return claims{}, fmt.Errorf("%w: bad signature", errBadToken)
	}
	payload, err := b64.DecodeString(p)
	if err != nil {
		return claims{}, fmt.Errorf("%w: payload: %v", errBadToken, err)
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return claims{}, fmt.Errorf("%w: payload: %v", errBadToken, err)
	}
	if c.Sub == 0 || t.now().Unix() >= c.Exp {
		return claims{}, fmt.Errorf("%w: expired or without subject", errBadToken)
	}
	return c, nil
}

// fromRequest verifies the request's "Authorization: Bearer" token.
func (t *tokens) fromRequest(r *http.Request) (claims, error) {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return claims{}, fmt.Errorf("%w: no bearer token", errBadToken)
	}
	return t.verify(strings.TrimSpace(v))
}
