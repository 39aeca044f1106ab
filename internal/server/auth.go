package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/framecast/framecast/internal/hub"
)

// Token is a read-only secret that opens one camera's stream and snapshot
// URLs when given as ?token=, for clients where basic auth is awkward (an
// <img> in Home Assistant or OctoPrint). It also opens the page and
// /api/status, which then shows that camera alone without its owner's
// details; never /metrics, the controls or another camera.
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
	on       bool
	tokens   []tokenHash
	fails    *failLimiter
	gate     *hashGate
	cache    credCache
	dummy    []byte       // a hash to compare with for unknown user names
	failures atomic.Int64 // failed logins and invalid tokens, for /metrics
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
	a.gate = newHashGate()
	a.cache = credCache{entries: map[[sha256.Size]byte]time.Time{}, flights: map[[sha256.Size]byte]*flight{}}
	rand.Read(a.cache.key[:])
}

// allow reports whether r may go on, answering it itself when not. Basic
// auth opens everything; a ?token= opens cam's stream and snapshot only, so
// cam is nil on every other route.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, cam *hub.Hub) bool {
	if !s.auth.on {
		return true
	}
	now := time.Now()
	if cam != nil {
		if token := r.URL.Query().Get("token"); token != "" {
			return s.allowToken(w, r, cam, token, now) != nil
		}
	}
	return s.allowUser(w, r, now)
}

// allowViewer is allow for the page and status, which a ?token= of any
// camera opens too (a set-up with tokens alone, as for Home Assistant,
// still has a page). It returns the token, nil with basic auth or with
// auth off.
func (s *Server) allowViewer(w http.ResponseWriter, r *http.Request) (*Token, bool) {
	if !s.auth.on {
		return nil, true
	}
	now := time.Now()
	if token := r.URL.Query().Get("token"); token != "" {
		t := s.allowToken(w, r, nil, token, now)
		return t, t != nil
	}
	return nil, s.allowUser(w, r, now)
}

// allowUser is allow for basic auth.
func (s *Server) allowUser(w http.ResponseWriter, r *http.Request, now time.Time) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		s.challenge(w, "authentication required")
		return false
	}
	res := s.checkUser(clientKey(r.RemoteAddr), user, pass, now)
	switch {
	case res.wait > 0:
		secs := strconv.Itoa(int((res.wait + time.Second - 1) / time.Second))
		w.Header().Set("Retry-After", secs)
		httpError(w, http.StatusTooManyRequests, "too many failed attempts: retry in "+secs+" s")
		return false
	case !res.ok:
		s.failed(w, r, "wrong user name or password", user, res.n)
		return false
	}
	return true
}

// allowToken is allow for a ?token=, of cam or, when cam is nil, of any
// camera; it returns the token, or nil when refused. A token is a 128-bit
// secret, checked at the cost of one SHA-256: no one guesses it, so wrong
// ones are not counted as guesses and a token is never refused for others'
// guessing.
func (s *Server) allowToken(w http.ResponseWriter, r *http.Request, cam *hub.Hub, token string, now time.Time) *Token {
	t := s.auth.matchToken(token)
	switch {
	case t == nil:
		s.failed(w, r, "invalid token", "", 0)
		return nil
	case !t.Expires.IsZero() && !now.Before(t.Expires):
		s.Logger.Warn("auth failed", "client", r.RemoteAddr, "path", r.URL.Path, "reason", "token expired", "camera", t.Camera)
		s.challenge(w, "token expired")
		return nil
	case cam != nil && t.Camera != cam.Name():
		s.Logger.Warn("auth refused", "client", r.RemoteAddr, "path", r.URL.Path, "reason", "token for another camera", "camera", t.Camera)
		httpError(w, http.StatusForbidden, "token is not valid for camera "+strconv.Quote(cam.Name()))
		return nil
	}
	return t
}

// guard wraps a route that only basic auth opens.
func (s *Server) guard(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.allow(w, r, nil) {
			next(w, r)
		}
	}
}

// guardStatus wraps /metrics: guarded unless PublicStatus.
func (s *Server) guardStatus(next http.HandlerFunc) http.HandlerFunc {
	if s.PublicStatus {
		return next
	}
	return s.guard(next)
}

// failed logs a failed attempt, n in its window (0 when not counted),
// and answers 401.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, reason, user string, n int) {
	s.auth.failures.Add(1)
	args := []any{"client", r.RemoteAddr, "path", r.URL.Path, "reason", reason}
	if n > 0 {
		args = append(args, "failures", n)
	}
	if user != "" {
		args = append(args, "user", user)
	}
	s.Logger.Warn("auth failed", args...)
	if n == s.auth.fails.max {
		s.Logger.Warn("auth blocked", "client", clientKey(r.RemoteAddr), "user", user, "for", s.auth.fails.window)
	}
	s.challenge(w, reason)
}

// challenge answers 401 with the basic auth challenge, or, when there are
// no Users, without: no password could answer it, and browsers would ask
// for one. Then the message says how to get in.
func (s *Server) challenge(w http.ResponseWriter, msg string) {
	if len(s.Users) == 0 {
		httpError(w, http.StatusUnauthorized, msg+": add ?token= with one of the camera's tokens to the address")
		return
	}
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

// authResult is the outcome of a password check.
type authResult struct {
	ok   bool
	n    int           // the attempt's count in its window
	wait time.Duration // when not 0, the attempt was refused unchecked for this long
}

// checkUser checks user's password pass, sent from the client address
// addr (a clientKey). Attempts are counted per address and user name
// before bcrypt runs, so guesses sent at once are limited as guesses sent
// in turn, and guessing at one name from an address (a NAT, a proxy)
// leaves the other names and tokens usable from there.
//
// A success is remembered for a while: browsers send the password with
// every request, and bcrypt costs tens of milliseconds of a Pi's CPU each
// time. The same name and password sent at once (a page opening several
// cameras) are checked once and counted once.
func (s *Server) checkUser(addr, user, pass string, now time.Time) authResult {
	a := &s.auth
	key := addr + "\x00" + user
	if wait := a.fails.blocked(key, now); wait > 0 {
		return authResult{wait: wait}
	}
	c := &a.cache
	ck := c.keyOf(user, pass)
	if c.get(ck, now) {
		return authResult{ok: true}
	}
	f, first := c.join(ck)
	if !first {
		<-f.done
		return f.res
	}
	defer c.land(ck, f)
	n, wait := a.fails.attempt(key, now)
	if wait > 0 {
		f.res = authResult{wait: wait}
		return f.res
	}
	hash, known := s.Users[user]
	if !known {
		hash = string(a.dummy)
	}
	leave := a.gate.enter(addr)
	ok := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pass)) == nil && known
	leave()
	if ok {
		c.put(ck, time.Now().Add(credTTL))
		a.fails.forget(key)
	}
	f.res = authResult{ok: ok, n: n}
	return f.res
}

// credTTL is how long a verified password is remembered.
const credTTL = 5 * time.Minute

// credCache remembers recently verified credentials by a keyed hash of the
// name and password, so the password itself is never kept, and the checks
// under way.
type credCache struct {
	key     [32]byte
	mu      sync.Mutex
	entries map[[sha256.Size]byte]time.Time // keyed hash → expiry
	flights map[[sha256.Size]byte]*flight   // checks under way
}

// flight is a check under way; done is closed once res is set.
type flight struct {
	done chan struct{}
	res  authResult
}

// keyOf is the keyed hash of user and pass.
func (c *credCache) keyOf(user, pass string) (k [sha256.Size]byte) {
	mac := hmac.New(sha256.New, c.key[:])
	mac.Write([]byte(user))
	mac.Write([]byte{0})
	mac.Write([]byte(pass))
	mac.Sum(k[:0])
	return k
}

// join returns the check of k under way, or starts one (first is true);
// the one who started it calls land when its result is set.
func (c *credCache) join(k [sha256.Size]byte) (f *flight, first bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.flights[k]; f != nil {
		return f, false
	}
	f = &flight{done: make(chan struct{})}
	c.flights[k] = f
	return f, true
}

// land ends the check f of k, waking those who joined it.
func (c *credCache) land(k [sha256.Size]byte, f *flight) {
	c.mu.Lock()
	delete(c.flights, k)
	c.mu.Unlock()
	close(f.done)
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

// allowBody is allow for a request with a body, which is read only once
// the client is known: a refused request closes the connection instead of
// draining it, and an allowed one has timeout to send the body.
func (s *Server) allowBody(w http.ResponseWriter, r *http.Request, cam *hub.Hub, timeout time.Duration) bool {
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now())
	w.Header().Set("Connection", "close")
	if !s.allow(w, r, cam) {
		return false
	}
	w.Header().Del("Connection")
	rc.SetReadDeadline(time.Now().Add(timeout))
	return true
}
