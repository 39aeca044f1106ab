package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/framecast/framecast/internal/config"
)

// cli is what the command line asks for besides the configuration.
type cli struct {
	configFile  string
	printConfig bool
	version     bool
}

// newFlagSet defines every flag: the command's own, and one per setting of
// config's table, which also writes their help.
func newFlagSet(c *cli, stderr io.Writer) (*flag.FlagSet, *config.Flags) {
	fs := flag.NewFlagSet("framecast", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.configFile, "config", "", "read settings and cameras from this YAML `file`")
	fs.BoolVar(&c.printConfig, "print-config", false, "print the effective configuration as YAML and exit")
	fs.BoolVar(&c.version, "version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprint(stderr, `framecast streams cameras to web browsers as MJPEG.

Usage:
  framecast [flags]                 serve (flags alone run one camera)
  framecast -config FILE [flags]    serve the cameras of a YAML file; flags override it
  framecast -print-config [flags]   print the effective configuration as YAML
  framecast check-config FILE       check a configuration file and its sources, then exit
  framecast hash-password           read a password (prompt or stdin), print its bcrypt hash
  framecast devices [-json]         list V4L2 capture devices: formats, sizes, frame rates, controls

Every flag -some-name may also be given as the environment variable
FRAMECAST_SOME_NAME; flags override the environment, which overrides the file.
Camera flags (-source, -size, -fps, ...) apply to the default camera.

Flags:
`)
		for _, name := range []string{"config", "print-config", "version"} {
			f := fs.Lookup(name)
			arg, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(stderr, "  -%s\n    \t%s\n", strings.TrimSpace(name+" "+arg), usage)
		}
		fmt.Fprintln(stderr, "\nSettings:")
		config.WriteHelp(stderr)
	}
	return fs, config.AddFlags(fs)
}

// loadConfig reads the command line, the environment (environ as
// os.Environ gives it) and the configuration file into a checked
// configuration. Flags override the environment, which overrides the file.
func loadConfig(args, environ []string, stderr io.Writer) (*config.Config, *cli, error) {
	c := &cli{}
	fs, flags := newFlagSet(c, stderr)
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if fs.NArg() > 0 {
		return nil, nil, fmt.Errorf("unexpected argument %q (flags start with -)", fs.Arg(0))
	}
	if c.version {
		return nil, c, nil
	}
	env, err := config.Environ(environ)
	if err != nil {
		return nil, nil, err
	}
	if !isSet(fs, "config") {
		c.configFile = env.File
	}
	cfg := config.Default()
	if c.configFile != "" {
		if cfg, err = config.Load(c.configFile); err != nil {
			return nil, nil, err
		}
	}
	if err := env.Apply(cfg); err != nil {
		return nil, nil, err
	}
	if err := flags.Apply(cfg); err != nil {
		return nil, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	return cfg, c, nil
}

// isSet reports whether the flag name was given.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
