package main

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// pbkdf2Iterations is the work factor of stored password hashes. OWASP
// recommends 600,000 for PBKDF2-SHA256; the example uses less so that its
// self-test, which registers and logs in several users on a small CI
// machine, stays quick. The count is stored with each hash, so raising it
// later keeps old hashes valid.
const pbkdf2Iterations = 50_000

// hashPassword returns "pbkdf2-sha256$ITER$SALT$HASH" for password.
func hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("draw salt: %w", err)
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, pbkdf2Iterations, 32)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return fmt.Sprintf("pbkdf2-sha256$%d$%x$%x", pbkdf2Iterations, salt, key), nil
}

// checkPassword reports whether password matches stored, in constant time.
func checkPassword(stored, password string) bool {
	parts := strings.Split(stored, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 {
		return false
	}
	salt, err1 := hex.DecodeString(parts[2])
	want, err2 := hex.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && hmac.Equal(got, want)
}
