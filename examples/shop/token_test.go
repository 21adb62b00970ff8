package main

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTokens(t *testing.T) {
	tok, err := newTokens(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tok.now = func() time.Time { return now }
	good, err := tok.issue(7, "acme")
	if err != nil {
		t.Fatal(err)
	}
	c, err := tok.verify(good)
	if err != nil || c.Sub != 7 || c.Shop != "acme" {
		t.Fatalf("verify(issue(7, acme)) = %+v, %v", c, err)
	}

	other, err := newTokens(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := other.issue(7, "acme")
	parts := strings.Split(good, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	tests := []struct {
		name  string
		token string
		at    time.Time
	}{
		{"empty", "", now},
		{"two parts", parts[0] + "." + parts[1], now},
		{"other key", foreign, now},
		{"alg none", none, now},
		{"forged shop", forgeShop(good, "globex"), now},
		{"signature of another payload", parts[0] + "." + parts[1] + "x." + parts[2], now},
		{"expired", good, now.Add(time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok.now = func() time.Time { return tt.at }
			if c, err := tok.verify(tt.token); !errors.Is(err, errBadToken) {
				t.Errorf("verify = %+v, %v; want errBadToken", c, err)
			}
		})
	}
}

func TestPassword(t *testing.T) {
	h, err := hashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !checkPassword(h, "correct horse") {
		t.Error("the right password does not match")
	}
	for _, stored := range []string{h, "", "plain", "pbkdf2-sha256$x$00$00"} {
		if checkPassword(stored, "wrong horse") {
			t.Errorf("wrong password matches %q", stored)
		}
	}
	h2, _ := hashPassword("correct horse")
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
}
