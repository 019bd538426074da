package console

import (
	"crypto/subtle"
	"mime"
	"net"
	"net/http"
	"strings"

	"github.com/tartansim/tartansim/show"
)

// ErrTokenRequired is New's error for an address other than loopback with
// no token: a server that signs and sends requests on command must not be
// open to the network.
var ErrTokenRequired = error(&show.Refusal{Pkg: "console", Why: "an address other than loopback needs a token"})

// tokenCookie carries the token in the browser once the page was opened
// with ?token=...
const tokenCookie = "tartansim_token"

// isLoopback reports whether host (from --addr) reaches this machine only:
// a loopback IP or "localhost". An empty host listens everywhere.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostsFor returns the Host values a server listening on addr answers to,
// lower case; nil means any (an unspecified address, which needs a token).
func hostsFor(addr string, extra []string) map[string]bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return map[string]bool{strings.ToLower(addr): true}
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return nil
	}
	hosts := map[string]bool{strings.ToLower(net.JoinHostPort(host, port)): true}
	if isLoopback(host) {
		for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
			hosts[net.JoinHostPort(h, port)] = true
		}
	}
	for _, h := range extra {
		hosts[strings.ToLower(h)] = true
	}
	return hosts
}

// guard wraps the whole site with the console's defences, outermost first:
// the Host check (DNS rebinding), the token, the same-origin check for
// state-changing requests (CSRF, with net/http's CrossOriginProtection:
// Sec-Fetch-Site, else Origin against Host), and JSON bodies only. It
// never sends CORS headers, so no other origin may read an answer.
func (s *Server) guard(next http.Handler) http.Handler { return s.guardBodies(next, false) }

// guardBodies is guard; with scripts, a body of another type than JSON is
// also taken from a request that carries neither Origin nor Sec-Fetch-Site
// (curl -d, a script), since every browser sends one of them with a
// cross-site write: no page can post a form through it.
func (s *Server) guardBodies(next http.Handler, scripts bool) http.Handler {
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "", "This request came from another site, and the console only takes changes from its own page.")
	}))
	inner := csrf.Handler(jsonBodies(next, scripts))
	return s.hostOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'")
		if s.token != "" && !s.authorized(w, r) {
			return
		}
		inner.ServeHTTP(w, r)
	}))
}

// authorized checks the token: an Authorization: Bearer header, the
// cookie, or ?token= on a page load, which sets the cookie and reloads the
// page without it. It writes the refusal itself.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	given := ""
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		given = v
	} else if c, err := r.Cookie(tokenCookie); err == nil {
		given = c.Value
	}
	if q := r.URL.Query().Get("token"); q != "" && r.Method == http.MethodGet && r.URL.Path == "/" {
		if !s.tokenMatches(q) {
			writeError(w, http.StatusUnauthorized, "token", "That token is not this server's.")
			return false
		}
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: q, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return false
	}
	if !s.tokenMatches(given) {
		writeError(w, http.StatusUnauthorized, "token", "This server needs its token: open the page once with ?token=..., or send Authorization: Bearer ...")
		return false
	}
	return true
}

func (s *Server) tokenMatches(given string) bool {
	return given != "" && subtle.ConstantTimeCompare([]byte(given), []byte(s.token)) == 1
}

// jsonBodies refuses a request with a body that is not JSON: an HTML form
// cannot send one, so no page anywhere can post to the API unseen. With
// scripts, a request no browser made (neither Origin nor Sec-Fetch-Site)
// may send another type.
func jsonBodies(next http.Handler, scripts bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 && r.Method != http.MethodGet && r.Method != http.MethodHead && !(scripts && notBrowser(r)) {
			mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if mt != "application/json" {
				writeError(w, http.StatusUnsupportedMediaType, "", "The console's API takes JSON bodies only (Content-Type: application/json).")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// notBrowser reports whether r carries neither Origin nor Sec-Fetch-Site,
// one of which every browser sends with a cross-site write.
func notBrowser(r *http.Request) bool {
	return r.Header.Get("Origin") == "" && r.Header.Get("Sec-Fetch-Site") == ""
}
