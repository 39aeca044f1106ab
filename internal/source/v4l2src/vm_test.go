//go:build !v4l2guest

package v4l2src

// TestVM boots Debian's kernel under qemu with the vivid driver (and
// v4l2loopback, built from Debian's DKMS source) and runs this package's
// tests inside, against those real V4L2 devices. See
// shared/notes/v4l2-in-qemu.md for the recipe it follows.

import (
	"bytes"
	"compress/gzip"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// vmHowTo is TestVM's skip message: the one command that runs it, and its cost.
const vmHowTo = `TestVM boots Debian's kernel in qemu to test the V4L2 code against real drivers (vivid, v4l2loopback); ` +
	`it runs when CI=true, or with: FRAMECAST_VM=1 go test -timeout 30m -run TestVM -v ./internal/source/v4l2src ` +
	`(needs apt-get, qemu-system-x86, make, gcc; the first run downloads about 85 MB of Debian packages into ` +
	`the user cache dir; it takes about 3 minutes on a busy 2-core machine, 4 the first time)`

func TestVM(t *testing.T) {
	if os.Getenv("CI") != "true" && os.Getenv("FRAMECAST_VM") != "1" {
		t.Skip(vmHowTo)
	}
	// Asked for, the VM tests must run: whatever is missing is a failure.
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Fatalf("the VM tests need a linux/amd64 host, this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	for _, tool := range []string{"qemu-system-x86_64", "apt-get", "apt-cache", "dpkg-deb", "make", "gcc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: apt-get install --no-install-recommends qemu-system-x86 make gcc libc6-dev", tool)
		}
	}
	start := time.Now()
	work := t.TempDir()
	bin := filepath.Join(work, "init")
	// The guest's binary builds while the kernel is fetched. go test puts
	// its own go first in PATH. The device tests and the guest's init are
	// built only into this binary; go vet -tags v4l2guest checks them, not
	// this build.
	build := exec.Command("go", "test", "-c", "-vet=off", "-tags", "v4l2guest", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	var buildOut bytes.Buffer
	build.Stdout, build.Stderr = &buildOut, &buildOut
	if err := build.Start(); err != nil {
		t.Fatal(err)
	}
	defer build.Process.Kill() // when a later step fails first
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	cache := filepath.Join(base, "framecast", "v4l2-vm")
	kpkg, kver, err := resolveKernel()
	if err != nil {
		t.Fatalf("cannot find Debian's kernel package: %v", err)
	}
	kdir, err := fetchKernel(t, cache, kpkg)
	if err != nil {
		t.Fatalf("cannot get %s: %v", kpkg, err)
	}
	lb, err := buildLoopback(t, cache, kpkg, kver, kdir)
	if err != nil {
		t.Fatalf("v4l2loopback: %v", err)
	}
	params := map[string]string{
		"vivid":        "n_devs=1 node_types=0x1",
		"v4l2loopback": "devices=1 video_nr=10 card_label=loopback",
	}
	// The guest's tests fail rather than skip when a device is missing.
	cmdline := "console=ttyS0 quiet panic=-1 no_timer_check V4L2_REQUIRE_LOOPBACK=1 FCTEST_NODES=/dev/video0,/dev/video10"
	if r := os.Getenv("FCTEST_RUN"); r != "" {
		cmdline += " FCTEST_RUN=" + r // only these tests in the guest
	}
	if err := build.Wait(); err != nil {
		t.Fatalf("building the test binary: %v\n%s", err, buildOut.Bytes())
	}
	initrd := filepath.Join(work, "initramfs.gz")
	if err := writeInitramfs(initrd, bin, kdir, lb, params); err != nil {
		t.Fatal(err)
	}
	t.Logf("kernel, v4l2loopback and the guest's test binary ready after %v", time.Since(start).Round(time.Second))
	for attempt := 1; ; attempt++ {
		boot := time.Now()
		console, code, err := bootVM(filepath.Join(kdir, "vmlinuz"), initrd, cmdline, filepath.Join(work, "console.log"))
		t.Logf("guest console (attempt %d, %v):\n%s", attempt, time.Since(boot).Round(time.Second), console)
		// A TCG-only early panic ("IO-APIC + timer doesn't work") is worth
		// one more boot; nothing of ours ran yet.
		if attempt == 1 && strings.Contains(console, "Kernel panic") && !strings.Contains(console, "=== RUN") {
			continue
		}
		if err != nil {
			t.Fatalf("qemu: %v", err)
		}
		if code != 33 || !strings.Contains(console, "GUEST-TEST-EXIT 0") {
			t.Fatalf("guest tests failed: qemu exit status %d (33 is a pass, 35 a failure)", code)
		}
		return
	}
}

// resolveKernel returns today's Debian kernel image package behind
// linux-image-amd64 (its ABI number changes with every update) and its version.
func resolveKernel() (pkg, version string, err error) {
	out, err := exec.Command("apt-cache", "depends", "linux-image-amd64").Output()
	if err != nil {
		return "", "", fmt.Errorf("apt-cache depends linux-image-amd64: %v (run apt-get update)", err)
	}
	m := regexp.MustCompile(`(?m)^\s*Depends: (linux-image-[0-9][^\s]*)$`).FindSubmatch(out)
	if m == nil {
		return "", "", errors.New("linux-image-amd64 depends on no linux-image package (run apt-get update)")
	}
	pkg = string(m[1])
	out, err = exec.Command("apt-cache", "show", pkg).Output()
	if err != nil {
		return "", "", fmt.Errorf("apt-cache show %s: %v", pkg, err)
	}
	v := regexp.MustCompile(`(?m)^Version: (\S+)$`).FindSubmatch(out)
	if v == nil {
		return "", "", fmt.Errorf("apt-cache show %s: no version", pkg)
	}
	return pkg, string(v[1]), nil
}

// download fetches Debian packages into dir and unpacks them into dir/root.
func download(dir string, pkgs ...string) error {
	cmd := exec.Command("apt-get", append([]string{"download", "-qq"}, pkgs...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get download %v: %v\n%s", pkgs, err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, "*.deb"))
	for _, d := range debs {
		if out, err := exec.Command("dpkg-deb", "-x", d, filepath.Join(dir, "root")).CombinedOutput(); err != nil {
			return fmt.Errorf("dpkg-deb -x %s: %v\n%s", d, err, out)
		}
	}
	return nil
}

// fetchKernel returns a cache folder holding the kernel (vmlinuz), the
// modules vivid needs (modules/*.ko) and their load order (order.txt),
// downloading and unpacking the package the first time.
func fetchKernel(t *testing.T, cache, pkg string) (string, error) {
	dir := filepath.Join(cache, pkg)
	if _, err := os.Stat(filepath.Join(dir, "order.txt")); err == nil {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(cache+"-tmp", "")
	if err != nil {
		if err := os.MkdirAll(cache+"-tmp", 0o755); err != nil {
			return "", err
		}
		if tmp, err = os.MkdirTemp(cache+"-tmp", ""); err != nil {
			return "", err
		}
	}
	defer os.RemoveAll(tmp)
	t.Logf("downloading %s", pkg)
	if err := download(tmp, pkg); err != nil {
		return "", err
	}
	root := filepath.Join(tmp, "root")
	kernels, _ := filepath.Glob(filepath.Join(root, "boot", "vmlinuz-*"))
	mods, _ := filepath.Glob(filepath.Join(root, "lib", "modules", "*"))
	if len(kernels) != 1 || len(mods) != 1 {
		return "", fmt.Errorf("%s: want one vmlinuz and one module tree, found %v and %v", pkg, kernels, mods)
	}
	order, files, err := moduleOrder(mods[0], "vivid", "videodev")
	if err != nil {
		return "", err
	}
	stage := filepath.Join(tmp, "stage")
	if err := os.MkdirAll(filepath.Join(stage, "modules"), 0o755); err != nil {
		return "", err
	}
	if err := copyFile(kernels[0], filepath.Join(stage, "vmlinuz")); err != nil {
		return "", err
	}
	for _, name := range order {
		if err := copyFile(files[name], filepath.Join(stage, "modules", name+".ko")); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(stage, "release"), []byte(filepath.Base(mods[0])), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(stage, "order.txt"), []byte(strings.Join(order, "\n")+"\n"), 0o644); err != nil {
		return "", err
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	return dir, os.Rename(stage, dir)
}

// moduleOrder finds the named modules under a module tree and returns them
// with everything they depend on, dependencies first (read from each
// module's .modinfo, so no depmod is needed), and the file of each.
func moduleOrder(tree string, names ...string) ([]string, map[string]string, error) {
	files := map[string]string{}
	filepath.WalkDir(tree, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".ko") {
			files[strings.ReplaceAll(strings.TrimSuffix(d.Name(), ".ko"), "-", "_")] = p
		}
		return nil
	})
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(name string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("module dependency cycle at %s", name)
		case 2:
			return nil
		}
		state[name] = 1
		p, ok := files[name]
		if !ok {
			return fmt.Errorf("module %s not found under %s", name, tree)
		}
		deps, err := moduleDepends(p)
		if err != nil {
			return err
		}
		for _, d := range deps {
			if err := visit(d); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, name)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, nil, err
		}
	}
	return order, files, nil
}

// moduleDepends reads the depends= entry of a module's .modinfo section.
func moduleDepends(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := f.Section(".modinfo")
	if s == nil {
		return nil, fmt.Errorf("%s: no .modinfo", path)
	}
	data, err := s.Data()
	if err != nil {
		return nil, err
	}
	for _, kv := range bytes.Split(data, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("depends=")); ok && len(v) > 0 {
			return strings.Split(strings.ReplaceAll(string(v), "-", "_"), ","), nil
		}
	}
	return nil, nil
}

// buildLoopback returns v4l2loopback.ko built from Debian's DKMS source
// against the kernel's own headers, building it the first time.
func buildLoopback(t *testing.T, cache, kpkg, kver, kdir string) (string, error) {
	ko := filepath.Join(kdir, "v4l2loopback.ko")
	if _, err := os.Stat(ko); err == nil {
		return ko, nil
	}
	for _, tool := range []string{"make", "gcc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", fmt.Errorf("%s not found (apt-get install make gcc)", tool)
		}
	}
	release, err := os.ReadFile(filepath.Join(kdir, "release"))
	if err != nil {
		return "", err
	}
	kv := string(release)
	hpkg := "linux-headers-" + kv
	out, err := exec.Command("apt-cache", "depends", hpkg).Output()
	if err != nil {
		return "", fmt.Errorf("apt-cache depends %s: %v", hpkg, err)
	}
	pkgs := []string{"v4l2loopback-dkms", hpkg + "=" + kver}
	for _, m := range regexp.MustCompile(`(?m)^\s*Depends: (linux-(?:headers|kbuild)-[^\s]+)$`).FindAllSubmatch(out, -1) {
		pkgs = append(pkgs, string(m[1])+"="+kver)
	}
	if err := os.MkdirAll(cache+"-tmp", 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(cache+"-tmp", "")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	t.Logf("building v4l2loopback from %v", pkgs)
	if err := download(tmp, pkgs...); err != nil {
		return "", err
	}
	src := filepath.Join(tmp, "root", "usr", "src")
	hdr := filepath.Join(src, hpkg)
	// The headers' Makefile includes the -common tree by its installed path.
	mk, err := os.ReadFile(filepath.Join(hdr, "Makefile"))
	if err != nil {
		return "", err
	}
	mk = regexp.MustCompile(`include /usr/src/linux-headers-`).ReplaceAll(mk, []byte("include "+src+"/linux-headers-"))
	if err := os.WriteFile(filepath.Join(hdr, "Makefile"), mk, 0o644); err != nil {
		return "", err
	}
	lbs, _ := filepath.Glob(filepath.Join(src, "v4l2loopback-*"))
	if len(lbs) != 1 {
		return "", fmt.Errorf("want one v4l2loopback source folder, found %v", lbs)
	}
	cmd := exec.Command("make", "-C", hdr, "M="+lbs[0], "modules")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("make: %v\n%s", err, out)
	}
	if err := copyFile(filepath.Join(lbs[0], "v4l2loopback.ko"), ko+".tmp"); err != nil {
		return "", err
	}
	return ko, os.Rename(ko+".tmp", ko)
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

// writeInitramfs packs the test binary as /init with the modules and their
// load list into a gzipped newc cpio archive.
func writeInitramfs(path, bin, kdir, loopback string, params map[string]string) error {
	order, err := os.ReadFile(filepath.Join(kdir, "order.txt"))
	if err != nil {
		return err
	}
	var a cpioWriter
	for _, d := range []string{"dev", "proc", "sys", "tmp", "modules"} {
		a.add(d, 0o40755, nil)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	a.add("init", 0o100755, b)
	var list strings.Builder
	addModule := func(name, file string) error {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		a.add("modules/"+name+".ko", 0o100644, b)
		fmt.Fprintf(&list, "/modules/%s.ko %s\n", name, params[name])
		return nil
	}
	for _, name := range strings.Fields(string(order)) {
		if err := addModule(name, filepath.Join(kdir, "modules", name+".ko")); err != nil {
			return err
		}
	}
	if loopback != "" {
		if err := addModule("v4l2loopback", loopback); err != nil {
			return err
		}
	}
	a.add("modules.txt", 0o100644, []byte(list.String()))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if _, err := zw.Write(a.finish()); err != nil {
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// cpioWriter builds a cpio archive in the "newc" format the kernel unpacks.
type cpioWriter struct {
	buf bytes.Buffer
	ino int
}

func (w *cpioWriter) add(name string, mode int, data []byte) {
	w.ino++
	fmt.Fprintf(&w.buf, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		w.ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
	w.buf.WriteString(name)
	w.buf.WriteByte(0)
	w.pad()
	w.buf.Write(data)
	w.pad()
}

func (w *cpioWriter) pad() {
	for w.buf.Len()%4 != 0 {
		w.buf.WriteByte(0)
	}
}

func (w *cpioWriter) finish() []byte {
	w.add("TRAILER!!!", 0, nil)
	return w.buf.Bytes()
}

// bootVM runs qemu (software emulation; no KVM needed) and returns the
// guest's console and qemu's exit status.
func bootVM(kernel, initrd, cmdline, console string) (string, int, error) {
	// A safety net against a hung guest, not a measurement: on a busy host
	// the emulated guest runs many times slower than on an idle one.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	os.Remove(console)
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", "-display", "none", "-monitor", "none",
		"-serial", "file:"+console, "-no-reboot", "-m", "512", "-smp", "2", "-nic", "none",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-kernel", kernel, "-initrd", initrd, "-append", cmdline)
	cmd.Stdin = nil
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	out, _ := os.ReadFile(console)
	text := strings.ReplaceAll(string(out), "\r", "")
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return text, -1, fmt.Errorf("timed out after 10 minutes: %s", stderr.String())
	case errors.As(err, &ee):
		return text, ee.ExitCode(), nil
	case err != nil:
		return text, -1, fmt.Errorf("%v: %s", err, stderr.String())
	}
	return text, 0, nil
}
