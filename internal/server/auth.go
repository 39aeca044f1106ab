package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/framecast/framecast/internal/hub"
)

// Token is a read-only secret that opens one camera's stream and snapshot
// URLs when given as ?token=, for clients where basic auth is awkward (an
// <img> in Home Assistant or OctoPrint). It opens nothing else: not the
// page, the status or another camera.
type Token struct {
	// Camera is the name of the camera the token opens.
	Camera string
	// Secret is the value clients pass as ?token=; CheckToken says which
	// are allowed.
	Secret string
	// Expires is when the token stops working; the zero time never expires.
	Expires time.Time
}

// Realm is the realm of framecast's WWW-Authenticate challenge.
const Realm = "framecast"

// dummyHash is compared against when the user name is unknown, so an unknown
// name costs as long as a wrong password and names cannot be probed by
// timing. Its cost is bcrypt.DefaultCost, which hash-password uses.
var dummyHash = []byte("$2a$10$f2U56PN5TlAKfwvn/TdRAeAYb66sdYG1qmA7zsJcyJy1ugkKrPxei")

// authState is what Handler builds from the auth fields of a Server.
type authState struct {
	on     bool
	tokens []tokenHash
	fails  *failLimiter
	cache  credCache
	dummy  []byte // a hash to compare with for unknown user names
}

// tokenHash is a Token with its secret hashed, so comparisons take the same
// time whatever the length of the guess.
type tokenHash struct {
	Token
	sum [sha256.Size]byte
}

func (s *Server) initAuth() {
	a := &s.auth
	a.on = len(s.Users) > 0 || len(s.Tokens) > 0
	a.tokens = a.tokens[:0]
	for _, t := range s.Tokens {
		a.tokens = append(a.tokens, tokenHash{Token: t, sum: sha256.Sum256([]byte(t.Secret))})
	}
	a.dummy = dummyHash
	for _, h := range s.Users {
		// The stand-in hash costs what the real ones cost, or timing
		// would tell unknown user names from known ones.
		if cost, err := bcrypt.Cost([]byte(h)); err == nil && cost != bcrypt.DefaultCost {
			var secret [16]byte
			rand.Read(secret[:])
			if d, err := bcrypt.GenerateFromPassword(secret[:], cost); err == nil {
				a.dummy = d
			}
		}
		break
	}
	n := s.failMax
	if n <= 0 {
		n = 5
	}
	a.fails = newFailLimiter(n, time.Minute, 4096)
	a.cache = credCache{entries: map[[sha256.Size]byte]time.Time{}}
	rand.Read(a.cache.key[:])
}

// allow reports whether r may go on, answering it itself when not. Basic
// auth opens everything; a ?token= opens cam's stream and snapshot only, so
// cam is nil on every other route.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, cam *hub.Hub) bool {
	a := &s.auth
	if !a.on {
		return true
	}
	client := clientKey(r.RemoteAddr)
	now := time.Now()
	if wait := a.fails.blocked(client, now); wait > 0 {
		secs := strconv.Itoa(int((wait + time.Second - 1) / time.Second))
		w.Header().Set("Retry-After", secs)
		httpError(w, http.StatusTooManyRequests, "too many failed attempts: retry in "+secs+" s")
		return false
	}
	token := ""
	if cam != nil {
		token = r.URL.Query().Get("token")
	}
	if token != "" {
		t := a.matchToken(token)
		switch {
		case t == nil:
			s.failed(w, r, client, now, "invalid token", "")
			return false
		case !t.Expires.IsZero() && !now.Before(t.Expires):
			// An expired token is no guess: it is not counted as one.
			s.Logger.Warn("auth failed", "client", r.RemoteAddr, "path", r.URL.Path, "reason", "token expired", "camera", t.Camera)
			challenge(w, "token expired")
			return false
		case t.Camera != cam.Name():
			s.Logger.Warn("auth refused", "client", r.RemoteAddr, "path", r.URL.Path, "reason", "token for another camera", "camera", t.Camera)
			httpError(w, http.StatusForbidden, "token is not valid for camera "+strconv.Quote(cam.Name()))
			return false
		}
		return true
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		challenge(w, "authentication required")
		return false
	}
	if !s.checkUser(user, pass, now) {
		s.failed(w, r, client, now, "wrong user name or password", user)
		return false
	}
	a.fails.forget(client)
	return true
}

// guard wraps a route that only basic auth opens.
func (s *Server) guard(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.allow(w, r, nil) {
			next(w, r)
		}
	}
}

// guardStatus wraps /api/status and /metrics: guarded unless PublicStatus.
func (s *Server) guardStatus(next http.HandlerFunc) http.HandlerFunc {
	if s.PublicStatus {
		return next
	}
	return s.guard(next)
}

// failed counts a failed attempt of client, logs it and answers 401.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, client string, now time.Time, reason, user string) {
	n, blocked := s.auth.fails.fail(client, now)
	args := []any{"client", r.RemoteAddr, "path", r.URL.Path, "reason", reason, "failures", n}
	if user != "" {
		args = append(args, "user", user)
	}
	s.Logger.Warn("auth failed", args...)
	if blocked {
		s.Logger.Warn("auth blocked", "client", client, "for", s.auth.fails.window)
	}
	challenge(w, reason)
}

// challenge answers 401 with the basic auth challenge.
func challenge(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="`+Realm+`", charset="UTF-8"`)
	httpError(w, http.StatusUnauthorized, msg)
}

// matchToken returns the token whose secret is guess, or nil. It compares
// with every token in constant time, so timing tells nothing of which
// token or how much of it matched.
func (a *authState) matchToken(guess string) *Token {
	sum := sha256.Sum256([]byte(guess))
	var found *Token
	for i := range a.tokens {
		if subtle.ConstantTimeCompare(sum[:], a.tokens[i].sum[:]) == 1 && found == nil {
			found = &a.tokens[i].Token
		}
	}
	return found
}

// checkUser reports whether pass is user's password. A success is
// remembered for a while: browsers send the password with every request,
// and bcrypt costs tens of milliseconds of a Pi's CPU each time.
func (s *Server) checkUser(user, pass string, now time.Time) bool {
	c := &s.auth.cache
	mac := hmac.New(sha256.New, c.key[:])
	mac.Write([]byte(user))
	mac.Write([]byte{0})
	mac.Write([]byte(pass))
	var key [sha256.Size]byte
	mac.Sum(key[:0])
	if c.get(key, now) {
		return true
	}
	hash, known := s.Users[user]
	if !known {
		hash = string(s.auth.dummy)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(pass)) != nil || !known {
		return false
	}
	c.put(key, now.Add(credTTL))
	return true
}

// credTTL is how long a verified password is remembered.
const credTTL = 5 * time.Minute

// credCache remembers recently verified credentials by a keyed hash of the
// name and password, so the password itself is never kept.
type credCache struct {
	key     [32]byte
	mu      sync.Mutex
	entries map[[sha256.Size]byte]time.Time // keyed hash → expiry
}

func (c *credCache) get(k [sha256.Size]byte, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, ok := c.entries[k]
	return ok && now.Before(exp)
}

func (c *credCache) put(k [sha256.Size]byte, exp time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= 256 {
		// Only valid passwords get here, so a full cache is rare; starting
		// afresh costs one bcrypt per user.
		clear(c.entries)
	}
	c.entries[k] = exp
}
