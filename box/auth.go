package box

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/tartansim/tartansim/wire"
)

// apiKeyOf returns the API key a request presents, in any of the forms
// Tartan's examples use: "Authorization: <key>", "Authorization: Token
// <key>", or a "username: <key>" header.
func apiKeyOf(r *http.Request) string {
	if a := strings.TrimSpace(r.Header.Get("Authorization")); a != "" {
		if scheme, rest, ok := strings.Cut(a, " "); ok && strings.EqualFold(scheme, "Token") {
			return strings.TrimSpace(rest)
		}
		return a
	}
	return strings.TrimSpace(r.Header.Get("username"))
}

// authorized reports whether r carries the API key, compared in constant
// time (the lengths aside).
func (b *Box) authorized(r *http.Request) bool {
	got := apiKeyOf(r)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(b.cfg.apiKey)) == 1
}

// requireKey answers 401 to a request without the API key, before anything
// reads its body.
func (b *Box) requireKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !b.authorized(r) {
			writeDoc(w, http.StatusUnauthorized, wire.NewObject(1).Add("detail", msgInvalidToken))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// accessToken mints an HS256 JWT for org, signed with the box's own secret.
func (b *Box) accessToken(orgID string, iat int64) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims := wire.NewObject(4).Add("org_id", orgID).Add("vendor_org", b.vendor.OrgID).Add("iat", iat).Add("exp", iat+TokenLifetime)
	body := enc.EncodeToString(wire.Encode(claims, wire.Compact))
	m := hmac.New(sha256.New, b.secret)
	m.Write([]byte(head + "." + body))
	return head + "." + body + "." + enc.EncodeToString(m.Sum(nil))
}
