package execsrc

import (
	"bytes"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
)

var reaperOnce sync.Once

// Subreaper makes this process adopt the orphaned descendants of the
// commands it starts (prctl PR_SET_CHILD_SUBREAPER) and reaps every one of
// them when it exits: a command's killed children, and a daemon that left
// the command's process group with setsid, which Run's reaping of the group
// cannot reach. Without it they would linger as zombies wherever PID 1 does
// not reap (containers), one per restart.
//
// The processes that this program started itself (os/exec) are left to
// their owners' Wait: the os package holds a pidfd for each until it has
// waited for it, and a zombie that a pidfd of this process names is not
// touched. Where pidfds are missing (Linux before 5.4) orphans are not
// reaped, as nothing could tell them from the commands being waited for.
//
// It affects the whole process; call it once from main.
func Subreaper() error {
	const prSetChildSubreaper = 36 // <linux/prctl.h>
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return errno
	}
	reaperOnce.Do(func() {
		if !pidfdWorks() {
			return
		}
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGCHLD)
		go func() {
			reapOrphans()
			for range ch {
				reapOrphans()
			}
		}()
	})
	return nil
}

// pidfdWorks reports whether this kernel gives pidfds, which the os package
// then uses for every process it starts.
func pidfdWorks() bool {
	const sysPidfdOpen = 434
	fd, _, errno := syscall.Syscall(sysPidfdOpen, uintptr(os.Getpid()), 0, 0)
	if errno != 0 {
		return false
	}
	syscall.Close(int(fd))
	return true
}

// reapOrphans reaps the zombie children of this process that no pidfd of
// it names. Zombies are listed before pidfds: a process started between
// the two lists has its pidfd in the second one.
func reapOrphans() {
	zombies := zombieChildren()
	if len(zombies) == 0 {
		return
	}
	owned := pidfdTargets()
	for _, pid := range zombies {
		if owned[pid] {
			continue
		}
		var ws syscall.WaitStatus
		// WNOHANG: should the pid have been reaped and reused meanwhile,
		// a live process is not waited for.
		syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	}
}

// zombieChildren lists the children of this process that have exited and
// not been waited for, from /proc.
func zombieChildren() []int {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	self := os.Getpid()
	var pids []int
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + name + "/stat")
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces and brackets.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(b[i+1:])
		if len(f) < 2 || string(f[0]) != "Z" {
			continue
		}
		if ppid, err := strconv.Atoi(string(f[1])); err == nil && ppid == self {
			pids = append(pids, pid)
		}
	}
	return pids
}

// pidfdTargets returns the pids that this process's pidfds name.
func pidfdTargets() map[int]bool {
	owned := map[int]bool{}
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return owned
	}
	fds, _ := d.Readdirnames(-1)
	d.Close()
	for _, fd := range fds {
		if l, err := os.Readlink("/proc/self/fd/" + fd); err != nil || l != "anon_inode:[pidfd]" {
			continue
		}
		b, err := os.ReadFile("/proc/self/fdinfo/" + fd)
		if err != nil {
			continue
		}
		for line := range bytes.SplitSeq(b, []byte("\n")) {
			if v, ok := bytes.CutPrefix(line, []byte("Pid:")); ok {
				if pid, err := strconv.Atoi(string(bytes.TrimSpace(v))); err == nil {
					owned[pid] = true
				}
			}
		}
	}
	return owned
}
