package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"

	"github.com/framecast/framecast/internal/config"
	"github.com/framecast/framecast/internal/server"
)

// checkConfig is framecast check-config FILE: it loads and checks the file
// and builds every camera's source without starting any.
func (a *app) checkConfig(args []string) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(a.stderr, "usage: framecast check-config FILE")
		return 2
	}
	cfg, err := config.Load(args[0])
	if err == nil {
		err = cfg.Validate()
	}
	var cams []camera
	if err == nil {
		cams, err = buildSources(cfg, slog.New(slog.DiscardHandler))
	}
	if err != nil {
		a.fail(err)
		return 2
	}
	fmt.Fprintf(a.stdout, "%s: ok: %d camera(s)\n", args[0], len(cams))
	for i, c := range cams {
		def := ""
		if i == 0 {
			def = ", default"
		}
		fmt.Fprintf(a.stdout, "  %s: %s (%v%s)\n", c.Name, c.describe, c.Size, def)
	}
	return 0
}

// hashPassword is framecast hash-password: it reads a password, from a
// prompt when stdin is a terminal (asked twice, not echoed) or else as the
// first line of stdin, and prints its bcrypt hash for the users of the
// configuration file.
func (a *app) hashPassword(args []string) int {
	fs := flag.NewFlagSet("framecast hash-password", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	cost := fs.Int("cost", bcrypt.DefaultCost, fmt.Sprintf("bcrypt cost, %d to %d; each step doubles the time a login check takes", server.MinPasswordCost, server.MaxPasswordCost))
	fs.Usage = func() {
		fmt.Fprintln(a.stderr, "usage: framecast hash-password [-cost N] (reads the password from a prompt or stdin)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(a.stderr, "framecast hash-password: unexpected argument %q: the password is read from stdin, never from the command line\n", fs.Arg(0))
		return 2
	}
	if *cost < server.MinPasswordCost || *cost > server.MaxPasswordCost {
		fmt.Fprintf(a.stderr, "framecast hash-password: -cost: %d is out of range: use %d to %d\n", *cost, server.MinPasswordCost, server.MaxPasswordCost)
		return 2
	}
	pw, err := a.readPassword()
	if err != nil {
		fmt.Fprintln(a.stderr, "framecast hash-password:", err)
		return 1
	}
	hash, err := bcrypt.GenerateFromPassword(pw, *cost)
	if err != nil {
		fmt.Fprintln(a.stderr, "framecast hash-password:", err)
		return 1
	}
	fmt.Fprintln(a.stdout, string(hash))
	return 0
}

// readPassword reads the password from the terminal or from stdin.
func (a *app) readPassword() ([]byte, error) {
	var pw []byte
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(a.stderr, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.stderr)
		if err != nil {
			return nil, err
		}
		fmt.Fprint(a.stderr, "Again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.stderr)
		if err != nil {
			return nil, err
		}
		if string(p1) != string(p2) {
			return nil, errors.New("the passwords differ")
		}
		pw = p1
	} else {
		line, err := bufio.NewReader(io.LimitReader(a.stdin, 4096)).ReadString('\n')
		if err != nil && err != io.EOF {
			return nil, err
		}
		pw = []byte(strings.TrimRight(line, "\r\n"))
	}
	switch {
	case len(pw) == 0:
		return nil, errors.New("empty password")
	case len(pw) > 72:
		return nil, fmt.Errorf("a password of %d bytes: bcrypt uses at most 72", len(pw))
	}
	return pw, nil
}
