"""Confinement (issue 18): each test attacks as container root would and shows it fails.

The attacks are harmless if they succeed: a sysctl is written with the value it has, the sysrq
trigger gets "h" (help, a line in the kernel log), device nodes are opened for reading only.
"""
import glob
import json
import os
import stat
import urllib.request

from conftest import CTRLINK, PY, SRV, ctl, tcp_try, wait_for
from seccomp_probe import SYSCALLS

ROOTFS = "/tmp/secroot"
TOOLS = ("sh", "ls", "cat", "echo", "mount", "touch", "id", "sleep", "env", "grep", "mknod",
         "head", "dd", "stat", "readlink", "unshare", "test", "true", "ping", "wc", "sysctl",
         "mkdir", "tr")


def make_rootfs(path=ROOTFS):
    os.makedirs(os.path.join(path, "bin"))
    with open("/bin/busybox", "rb") as src, open(os.path.join(path, "bin", "busybox"), "wb") as d:
        d.write(src.read())
    os.chmod(os.path.join(path, "bin", "busybox"), 0o755)
    for tool in TOOLS:
        os.symlink("busybox", os.path.join(path, "bin", tool))
    os.makedirs(os.path.join(path, "etc"))
    os.makedirs(os.path.join(path, "tmp"))
    with open(os.path.join(path, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n")
    with open(os.path.join(path, "etc", "group"), "w") as f:
        f.write("root:x:0:\nnogroup:x:65534:\n")
    return path


def rootfs_sh(script, *opts, check=True):
    return ctl("run", "--rm", "--rootfs", ROOTFS, *opts, "/bin/sh", "-c", script, check=check)


def host_sh(script, *opts, check=True):
    return ctl("run", "--rm", *opts, "sh", "-c", script, check=check)


# ---- 1. /proc and /sys ---------------------------------------------------------------------

# Write back what is there: harmless if the attack works, refused if it does not.
PROC_ATTACK = (
    "for f in /proc/sys/kernel/core_pattern /proc/sys/kernel/modprobe; do "
    "  v=$(cat $f); echo \"$v\" > $f 2>/dev/null && echo WROTE $f || echo REFUSED $f; "
    "done; "
    "echo h > /proc/sysrq-trigger 2>/dev/null && echo WROTE sysrq || echo REFUSED sysrq; "
    "for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; do "
    "  test -e $f || { echo ABSENT $f; continue; }; "
    "  n=$(head -c 64 $f 2>/dev/null | wc -c); echo READ $n $f; "
    "done; "
    "for d in /sys/firmware /proc/acpi /proc/scsi; do "
    "  test -d $d || { echo ABSENT $d; continue; }; echo LIST $(ls -A $d | wc -l) $d; "
    "done; "
    "touch /sys/x 2>/dev/null && echo WROTE sys || echo REFUSED sys; "
    "cat /proc/sys/net/ipv4/ping_group_range")


def check_proc_attack(out):
    lines = out.splitlines()
    for f in ("/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe"):
        assert f"REFUSED {f}" in lines, out
    assert "REFUSED sysrq" in lines and "REFUSED sys" in lines, out
    for l in lines:
        if l.startswith("READ ") or l.startswith("LIST "):
            assert l.split()[1] == "0", out  # masked: empty
    assert "READ 0 /proc/keys" in lines, out  # (/proc/kcore: where the kernel has it)
    assert "LIST 0 /sys/firmware" in lines, out
    assert lines[-1].split() == ["0", "2147483647"], out  # still readable


def test_proc_sys_read_only_and_masked_with_rootfs():
    make_rootfs()
    check_proc_attack(rootfs_sh(PROC_ATTACK).out)
    # the read-only paths are read-only mounts, nothing else of /proc is
    mounts = rootfs_sh("cat /proc/self/mounts").out.splitlines()
    ro = {l.split()[1] for l in mounts if "ro" in l.split()[3].split(",")}
    assert {"/proc/sys", "/sys"} <= ro, mounts
    if os.path.exists("/proc/sysrq-trigger"):  # (kernels with CONFIG_MAGIC_SYSRQ)
        assert "/proc/sysrq-trigger" in ro, mounts
    assert "/proc" not in ro


def test_proc_sys_read_only_and_masked_on_the_host_filesystem():
    check_proc_attack(host_sh(PROC_ATTACK).out)


# ---- 2. devices ----------------------------------------------------------------------------

def test_dev_is_minimal_and_made_nodes_cannot_be_opened():
    make_rootfs()
    r = rootfs_sh("ls -A /dev; echo --; ls -A /dev/pts; echo --; "
                  "for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done; echo --; "
                  "echo x > /dev/null && head -c 4 /dev/zero | wc -c && "
                  "head -c 4 /dev/urandom | wc -c && echo nodes-work")
    parts = r.out.split("--\n")
    assert sorted(parts[0].split()) == sorted(
        ["full", "null", "random", "tty", "urandom", "zero", "pts", "shm", "mqueue",
         "fd", "stdin", "stdout", "stderr", "ptmx"]), r.out
    assert parts[1].split() == ["ptmx"], r.out  # a new devpts instance: no host terminals
    assert parts[2].split() == ["/proc/self/fd", "/proc/self/fd/0", "/proc/self/fd/1",
                                "/proc/self/fd/2", "pts/ptmx"], r.out
    assert parts[3].split() == ["4", "4", "nodes-work"], r.out

    # CAP_MKNOD is in the default set (as Docker's): a node can be made, but not used, in
    # every writable place: the root filesystem, /dev, /dev/shm
    attack = ("for p in /tmp/sda /dev/sda /dev/shm/sda /sda; do "
              "  mknod $p b 8 0 && echo MADE $p; "
              "  head -c 1 $p > /dev/null 2>/tmp/err; echo OPEN $? $p $(cat /tmp/err); "
              "done; "
              "mknod /tmp/mem c 1 1 && echo MADE mem; "
              "head -c 1 /tmp/mem > /dev/null 2>/tmp/err; echo OPEN $? mem $(cat /tmp/err); "
              "mknod /tmp/null c 1 3 && echo MADE null; "
              "echo x 2>/tmp/err > /tmp/null; echo OPEN $? null $(cat /tmp/err)")
    out = rootfs_sh(attack).out
    lines = out.splitlines()
    for what in ("/tmp/sda", "/dev/sda", "/dev/shm/sda", "/sda"):
        assert f"MADE {what}" in lines, out
    opens = [l for l in lines if l.startswith("OPEN ")]
    assert len(opens) == 6, out
    for l in opens:
        assert l.split()[1] != "0" and "Permission denied" in l, out
    assert "MADE mem" in lines and "MADE null" in lines, out
    # the root filesystem on the host is unchanged but for the nodes (a device is never opened)
    assert stat.S_ISBLK(os.stat(f"{ROOTFS}/tmp/sda").st_mode)


# ---- 3. raw sockets and ping -----------------------------------------------------------------

SOCKETS = (
    "import socket, struct\n"
    "try:\n"
    "    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)\n"
    "    print('raw: made')\n"
    "except PermissionError:\n"
    "    print('raw: refused')\n"
    "try:\n"
    "    socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
    "    print('packet: made')\n"
    "except PermissionError:\n"
    "    print('packet: refused')\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)\n"
    "s.settimeout(5)\n"
    "s.sendto(struct.pack('!BBHHH', 8, 0, 0, 0, 1) + b'x', ('127.0.0.1', 0))\n"
    "reply = s.recv(64)\n"
    "print('ping:', 'reply' if reply[0] == 0 else reply[0])\n")


def test_no_raw_sockets_by_default_but_ping_works():
    for opts in ((), ("-u", "nobody")):
        r = ctl("run", "--rm", *opts, PY, "-c", SOCKETS)
        assert r.out == "raw: refused\npacket: refused\nping: reply\n", (opts, r)
    r = ctl("run", "--rm", "--cap-add", "NET_RAW", PY, "-c", SOCKETS)
    assert r.out == "raw: made\npacket: made\nping: reply\n", r


# ---- 6. descriptors ------------------------------------------------------------------------

def test_the_command_holds_only_stdin_stdout_stderr():
    make_rootfs()
    # the shell lists its own descriptors (ls is its child: "; true" keeps the shell)
    assert rootfs_sh("ls /proc/$$/fd; true").out.split() == ["0", "1", "2"]
    assert host_sh("ls /proc/$$/fd; true").out.split() == ["0", "1", "2"]
    ctl("run", "-d", "--name", "fds", "--rootfs", ROOTFS, "sleep", "1000")
    r = ctl("exec", "fds", "/bin/sh", "-c", "ls /proc/1/fd; echo --; ls /proc/$$/fd; true")
    assert r.out.split() == ["0", "1", "2", "--", "0", "1", "2"], r
    ctl("rm", "-f", "fds")


# ---- 4. seccomp ----------------------------------------------------------------------------

EPERM, ENOSYS = 1, 38


def syscalls(*opts):
    out = ctl("run", "--rm", *opts, PY, "-c", SYSCALLS).out
    return dict(l.split(None, 1) for l in out.splitlines())


def test_seccomp_refuses_what_docker_refuses():
    got = syscalls()
    assert got["keyctl"] == str(EPERM), got
    assert got["add_key"] == "refused" and got["bpf"] == "refused", got
    assert got["clone-newuser"] == str(EPERM), got
    assert got["clone3"] == str(ENOSYS), got   # so that the C library falls back to clone
    assert got["unshare-newuser"] == str(EPERM), got
    assert got["personality-query"] == "0" and got["personality-norandom"] == str(EPERM), got
    assert got["vsock"] == str(EPERM), got
    assert got["fork"] == "0", got               # plain clone (fork) works
    status = ctl("run", "--rm", "grep", "^Seccomp:", "/proc/self/status").out.split()
    assert status == ["Seccomp:", "2"]           # a filter
    # NoNewPrivs stays off, as with Docker: set-user-ID programs work
    assert ctl("run", "--rm", "grep", "^NoNewPrivs:", "/proc/self/status").out.split()[1] == "0"


def test_seccomp_in_a_rootfs_and_in_exec():
    make_rootfs()
    r = rootfs_sh("unshare -U true", check=False)
    assert r.rc != 0 and "Operation not permitted" in r.err, r
    r = rootfs_sh("unshare -m true", check=False)
    assert r.rc != 0 and "Operation not permitted" in r.err, r
    ctl("run", "-d", "--name", "sc", "--rootfs", ROOTFS, "sleep", "1000")
    r = ctl("exec", "sc", "unshare", "-U", "true", check=False)
    assert r.rc != 0 and "Operation not permitted" in r.err, r
    assert ctl("exec", "sc", "grep", "^Seccomp:", "/proc/self/status").out.split()[1] == "2"
    ctl("rm", "-f", "sc")


def test_seccomp_follows_capabilities_as_docker_does():
    # CAP_SYS_ADMIN brings back mount, unshare, setns and namespace flags of clone
    make_rootfs()
    r = rootfs_sh("mkdir -p /mnt && mount -t tmpfs t /mnt && unshare -m true && echo ok",
                  "--cap-add", "SYS_ADMIN")
    assert r.out == "ok\n", r
    got = syscalls("--cap-add", "SYS_ADMIN")
    assert got["clone-newuser"] == "0" and got["unshare-newuser"] == "0", got
    assert got["keyctl"] == str(EPERM), got   # never allowed


def test_the_compiled_filter_is_kept_and_a_damaged_one_is_compiled_again():
    """The filter is compiled once per state directory and profile and kept, with a checksum,
    in <state>/seccomp/<key>.bpf; a damaged file is never loaded."""
    got = syscalls()
    kept = glob.glob("/run/ctrlink/seccomp/*.bpf")
    assert len(kept) == 1, kept
    good = open(kept[0], "rb").read()
    assert good[:8] == b"CTRLBPF1" and (len(good) - 48) % 8 == 0 and len(good) > 48
    assert syscalls() == got  # from the kept program: the same refusals
    # every instruction made "return ALLOW" (0x06, k 0x7fff0000): a file that would let all
    # through, were its checksum not checked
    allow = bytes.fromhex("0600000000007fff")
    open(kept[0], "wb").write(good[:48] + allow * ((len(good) - 48) // 8))
    assert syscalls() == got
    assert open(kept[0], "rb").read() == good  # compiled again, the same program
    open(kept[0], "wb").write(good[:100])      # torn
    assert syscalls() == got
    assert open(kept[0], "rb").read() == good
    # another profile (capabilities) is another program
    syscalls("--cap-add", "SYS_ADMIN")
    assert len(glob.glob("/run/ctrlink/seccomp/*.bpf")) == 2


# ---- 5. a root filesystem the container controls ---------------------------------------------

def test_rootfs_symlinks_stay_inside_the_root():
    # /etc a link to a host directory: the container's files are made inside the root, where
    # the link points there, not in the host's directory
    os.makedirs("/tmp/hostdir")
    make_rootfs()
    os.rename(f"{ROOTFS}/etc", f"{ROOTFS}/etc.real")
    os.symlink("/tmp/hostdir", f"{ROOTFS}/etc")
    r = rootfs_sh("cat /etc/hostname; readlink /etc", "--hostname", "inside")
    assert r.out == "inside\n/tmp/hostdir\n", r
    assert os.listdir("/tmp/hostdir") == []
    assert sorted(os.listdir(f"{ROOTFS}/tmp/hostdir")) == ["hostname", "hosts", "resolv.conf"]

    # /etc/hosts a link to a host file: the host's file is neither written nor covered
    with open("/tmp/precious", "w") as f:
        f.write("precious\n")
    os.remove(f"{ROOTFS}/etc")
    os.rename(f"{ROOTFS}/etc.real", f"{ROOTFS}/etc")
    os.symlink("/tmp/precious", f"{ROOTFS}/etc/hosts")
    os.symlink("../../../../../tmp/precious2", f"{ROOTFS}/etc/hostname")
    r = rootfs_sh("grep -q localhost /etc/hosts && echo ours; cat /etc/hostname",
                  "--hostname", "box")
    assert r.out == "ours\nbox\n", r
    with open("/tmp/precious") as f:
        assert f.read() == "precious\n"
    assert not os.path.exists("/tmp/precious2")
    assert os.path.isfile(f"{ROOTFS}/tmp/precious") and os.path.isfile(f"{ROOTFS}/tmp/precious2")

    # a link that loops is refused, with a message
    os.remove(f"{ROOTFS}/etc/hosts")
    os.symlink("/etc/hosts", f"{ROOTFS}/etc/hosts")
    r = rootfs_sh("true", check=False)
    assert r.rc == 125 and "/etc/hosts" in r.err and "symbolic links" in r.err, r


def test_rootfs_fifos_and_devices_are_refused_not_opened():
    # a FIFO where a file is bound would block the start (and the library's lock) while it
    # waits for a writer; it is refused at once (the timeout is far below the 60 s wait)
    make_rootfs()
    os.mkfifo(f"{ROOTFS}/etc/resolv.conf")
    r = ctl("run", "--rm", "--rootfs", ROOTFS, "true", check=False, timeout=30)
    assert r.rc == 125 and "/etc/resolv.conf in the root filesystem is not a regular file" \
        in r.err, r
    os.remove(f"{ROOTFS}/etc/resolv.conf")
    if os.path.exists(f"{ROOTFS}/etc/hostname"):  # made by the first start, before it failed
        os.remove(f"{ROOTFS}/etc/hostname")
    os.mknod(f"{ROOTFS}/etc/hostname", 0o644 | stat.S_IFCHR, os.makedev(1, 3))
    r = ctl("run", "--rm", "--rootfs", ROOTFS, "true", check=False, timeout=30)
    assert r.rc == 125 and "/etc/hostname in the root filesystem is not a regular file" \
        in r.err, r
    os.remove(f"{ROOTFS}/etc/hostname")
    # a FIFO as /etc/passwd: read as no file (root needs none), never waited on (the
    # command is one that does not read it)
    os.remove(f"{ROOTFS}/etc/passwd")
    os.mkfifo(f"{ROOTFS}/etc/passwd")
    r = ctl("run", "--rm", "--rootfs", ROOTFS, "echo", "started", timeout=30)
    assert r.out == "started\n", r
    # a file where a directory is mounted
    if os.path.isdir(f"{ROOTFS}/proc"):
        os.rmdir(f"{ROOTFS}/proc")
    with open(f"{ROOTFS}/proc", "w"):
        pass
    r = ctl("run", "--rm", "--rootfs", ROOTFS, "true", check=False, timeout=30)
    assert r.rc == 125 and "/proc in the root filesystem is not a directory" in r.err, r


# ---- 7. the caller's terminal and process ----------------------------------------------------

TTY_ATTACK = r"""
import fcntl, os, termios
try:
    for ch in b"id\n":
        fcntl.ioctl(0, termios.TIOCSTI, bytes([ch]))
    print("TIOCSTI: injected", flush=True)
except OSError as e:
    print("TIOCSTI: refused", e.errno, flush=True)
try:
    os.open("/dev/tty", os.O_RDWR)
    print("tty: controlling", flush=True)
except OSError as e:
    print("tty: none", e.errno, flush=True)
print("session leader:", os.getsid(0) == os.getpid(), flush=True)
"""


def test_exec_cannot_push_keystrokes_into_the_callers_terminal():
    """The admin runs `ctrlink exec` from a shell on a terminal; the command gets that terminal
    as stdin but in a session of its own, so TIOCSTI (and /dev/tty) are refused to it."""
    import pty
    import subprocess
    import termios
    ctl("run", "-d", "--name", "tty", "sleep", "1000")
    master, slave = pty.openpty()

    def own_terminal():
        os.setsid()
        import fcntl
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen([CTRLINK, "exec", "-i", "tty", PY, "-c", TTY_ATTACK],
                         stdin=slave, stdout=slave, stderr=slave, preexec_fn=own_terminal)
    os.close(slave)
    out = b""
    while True:
        try:
            b = os.read(master, 4096)
        except OSError:  # EIO: every slave end closed
            break
        if not b:
            break
        out += b
    p.wait(timeout=30)
    os.close(master)
    text = out.decode(errors="replace")
    assert p.returncode == 0, text
    assert "TIOCSTI: refused" in text and "tty: none" in text, text
    assert "session leader: True" in text, text
    ctl("rm", "-f", "tty")


def test_container_and_monitor_leave_the_callers_umask_and_directory():
    """A caller with umask 077 in a directory of its own: the container's umask is 022, its
    files (hosts, resolv.conf) are readable by its other users, and the monitor keeps no hold
    on the caller's working directory."""
    import subprocess
    import tempfile
    here = tempfile.mkdtemp(dir="/run")

    def caller(*args):
        p = subprocess.run([CTRLINK, *args], capture_output=True, text=True, cwd=here,
                           preexec_fn=lambda: os.umask(0o077), timeout=60)
        assert p.returncode == 0, p
        return p.stdout

    caller("run", "-d", "--name", "um", "sleep", "1000")
    assert caller("exec", "um", "sh", "-c", "umask").strip() == "0022"
    assert caller("run", "--rm", "sh", "-c", "umask").strip() == "0022"
    out = caller("run", "--rm", "-u", "nobody", "sh", "-c",
                 "cat /etc/hosts /etc/resolv.conf /etc/hostname >/dev/null && echo readable")
    assert out.strip() == "readable"
    pid = int(caller("inspect", "-f", "{{.State.Pid}}", "um"))
    with open(f"/proc/{pid}/stat") as f:
        monitor = int(f.read().rsplit(")", 1)[1].split()[1])
    assert os.readlink(f"/proc/{monitor}/cwd") == "/"
    assert os.readlink(f"/proc/{pid}/cwd") == "/"
    caller("rm", "-f", "um")
    os.rmdir(here)


def test_an_interrupt_at_the_callers_terminal_ends_the_exec_command():
    """With the command in a session of its own, the terminal's Ctrl-C reaches the exec helper,
    which hands it on: no command keeps running, forgotten, in the container."""
    import signal
    import subprocess
    import time
    ctl("run", "-d", "--name", "intr", "sleep", "1000")
    p = subprocess.Popen([CTRLINK, "exec", "intr", "sleep", "4242"], start_new_session=True)

    def execs():
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if f.read() == b"sleep\x004242\x00":
                        found.append(pid)
            except OSError:
                pass
        return found

    deadline = time.monotonic() + 20
    while not execs():
        assert time.monotonic() < deadline, "the exec command did not start"
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGINT)  # what the terminal does on Ctrl-C: the whole foreground group
    p.wait(timeout=20)
    deadline = time.monotonic() + 20
    while execs():
        assert time.monotonic() < deadline, "the exec command outlived the interrupt"
        time.sleep(0.05)
    ctl("rm", "-f", "intr")


# ---- 8. router advertisements --------------------------------------------------------------

RA_ATTACK = r"""
import fcntl, socket, struct, time
# Raw Ethernet frames (AF_PACKET, NET_RAW): they do not need IPv6 on the sender's eth0.
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
mac = fcntl.ioctl(s.fileno(), 0x8927, struct.pack("256s", b"eth0"))[18:24]  # SIOCGIFHWADDR
src = socket.inet_pton(socket.AF_INET6, "fe80::" + mac.hex()[-4:])
dst = socket.inet_pton(socket.AF_INET6, "ff02::1")
ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)  # router lifetime 1800 s
pio = struct.pack("!BBBBIII", 3, 4, 64, 0xc0, 86400, 14400, 0) + \
    socket.inet_pton(socket.AF_INET6, "fd66::")  # on-link, autonomous: take an address
body = ra + pio
pseudo = src + dst + struct.pack("!I3xB", len(body), 58) + body
total = sum(struct.unpack("!%dH" % (len(pseudo) // 2), pseudo))
while total >> 16:
    total = (total & 0xffff) + (total >> 16)
body = body[:2] + struct.pack("!H", ~total & 0xffff) + body[4:]
ip6 = struct.pack("!IHBB", 6 << 28, len(body), 58, 255) + src + dst
frame = bytes.fromhex("333300000001") + mac + b"\x86\xdd" + ip6 + body
for i in range(5):
    s.send(frame)
    time.sleep(0.1)
print("sent")
"""


def v6_routes(text, dev):
    """(destination, prefix length) of /proc/net/ipv6_route lines of `dev`."""
    out = []
    for l in text.splitlines():
        f = l.split()
        if f[-1] == dev:
            out.append((f[0], int(f[1], 16)))
    return out


def test_router_advertisements_from_a_container_are_not_taken():
    """An attacker container (given NET_RAW, which is no longer a default) announces itself as
    IPv6 router and prefix in raw frames: neither the host's bridge nor another container
    takes it."""
    ctl("run", "-d", "--name", "victim", "sleep", "1000")
    r = ctl("run", "--rm", "--cap-add", "NET_RAW", PY, "-c", RA_ATTACK)
    assert r.out.strip() == "sent", r
    import time
    time.sleep(0.5)
    with open("/proc/net/ipv6_route") as f:
        host = v6_routes(f.read(), "ctrlink0")
    assert ("0" * 32, 0) not in host, host
    with open("/proc/net/if_inet6") as f:
        assert "fd66" not in f.read()
    inside = ctl("exec", "victim", "cat", "/proc/net/ipv6_route", "/proc/net/if_inet6").out
    assert ("0" * 32, 0) not in v6_routes(inside, "eth0"), inside
    assert "fd66" not in inside, inside
    assert ctl("exec", "victim", "cat", "/proc/sys/net/ipv6/conf/eth0/accept_ra").out.strip() == "0"
    ctl("rm", "-f", "victim")


# ---- 9. no IPv6 where the network has none ------------------------------------------------

def link_local(mac):
    """The EUI-64 link-local address a kernel gives an interface with this MAC."""
    b = bytes.fromhex(mac.replace(":", ""))
    eui = bytes([b[0] ^ 2]) + b[1:3] + b"\xff\xfe" + b[3:]
    return "fe80::" + ":".join(eui[i:i + 2].hex() for i in range(0, 8, 2))


LL_ATTACK = r"""
import socket, sys, time
end = time.monotonic() + 4
while time.monotonic() < end:
    try:
        with socket.create_connection((sys.argv[1] + "%eth0", 8000), timeout=0.5) as s:
            print("reached")
            sys.exit(0)
    except OSError:
        time.sleep(0.1)
print("never reached")
"""


def test_unlinked_containers_cannot_talk_over_link_local_ipv6():
    """On a network without IPv6 (every network of the iptables backend), a container's eth0
    has no IPv6: an unlinked container cannot reach another over link-local IPv6, which the
    iptables backend does not filter."""
    ctl("run", "-d", "--name", "srv6", PY, SRV, "tcp46", "8000")
    ctl("run", "-d", "--name", "cli6", "sleep", "1000")
    info = json.loads(ctl("inspect", "srv6").out)[0]["NetworkSettings"]
    for name in ("srv6", "cli6"):
        assert ctl("exec", name, "cat", "/proc/sys/net/ipv6/conf/eth0/disable_ipv6").out == "1\n"
        assert "eth0" not in ctl("exec", name, "cat", "/proc/net/if_inet6").out
        assert ctl("exec", name, "cat", "/proc/sys/net/ipv6/conf/lo/disable_ipv6").out == "0\n"
    # the server answers (IPv4, from the host); over link-local IPv6, for 4 s (past the
    # address's duplicate detection, were there one), the other container never reaches it
    wait_for(lambda: tcp_try(info["IPAddress"], 8000))
    r = ctl("exec", "cli6", PY, "-c", LL_ATTACK, link_local(info["MacAddress"]), check=False)
    assert r.out.strip() == "never reached", r
    ctl("rm", "-f", "srv6", "cli6")


# ---- 10. a user namespace (--userns=auto) ---------------------------------------------------

def userns_rootfs():
    make_rootfs()
    for tool in ("httpd", "wget", "umount", "nc"):
        os.symlink("busybox", os.path.join(ROOTFS, "bin", tool))
    os.makedirs(os.path.join(ROOTFS, "www"))
    with open(os.path.join(ROOTFS, "www", "index.html"), "w") as f:
        f.write("from the userns\n")


def id_map(ref):
    """(uid start, gid start, size) from inspect's HostConfig.IDMappings."""
    hc = inspect_json(ref)["HostConfig"]
    assert hc["UsernsMode"] == "auto", hc
    (u,), (g,) = hc["IDMappings"]["UidMap"], hc["IDMappings"]["GidMap"]
    u0, uid, usize = map(int, u.split(":"))
    g0, gid, gsize = map(int, g.split(":"))
    assert (u0, g0, usize, gsize) == (0, 0, 65536, 65536), hc
    return uid, gid


def inspect_json(ref):
    return json.loads(ctl("inspect", ref).out)[0]


def status_ids(pid):
    """The Uid and Gid lines of /proc/<pid>/status, as seen from the host."""
    with open(f"/proc/{pid}/status") as f:
        lines = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
    return [int(x) for x in lines["Uid"].split()], [int(x) for x in lines["Gid"].split()]


# With SYS_ADMIN, container root takes /proc/sys's read-only mount away and writes a kernel
# setting of the host (the value it has: harmless if the attack works).
SYSCTL_ATTACK = ("umount /proc/sys 2>/dev/null || umount -l /proc/sys; "
                 "v=$(cat /proc/sys/kernel/core_pattern); "
                 "echo \"$v\" > /proc/sys/kernel/core_pattern 2>/dev/null && echo WROTE "
                 "|| echo REFUSED; "
                 "mknod /tmp/nul c 1 3 2>/dev/null && echo MADE || echo NO-MKNOD; id -u")


def test_userns_auto_container_root_is_not_host_root():
    userns_rootfs()
    ctl("run", "-d", "--name", "u1", "--rootfs", ROOTFS, "--userns=auto", "sleep", "1000")
    uid, gid = id_map("u1")
    assert uid >= 65536 and gid >= 65536
    # inside: root, and the map says whose
    assert ctl("exec", "u1", "id", "-u").out == "0\n"
    assert ctl("exec", "u1", "cat", "/proc/self/uid_map").out.split() == ["0", str(uid), "65536"]
    assert ctl("exec", "u1", "cat", "/proc/self/gid_map").out.split() == ["0", str(gid), "65536"]
    # outside: the container's processes (its init, and a command exec runs) are that uid
    pid = inspect_json("u1")["State"]["Pid"]
    assert status_ids(pid) == ([uid] * 4, [gid] * 4)
    ctl("exec", "u1", "sh", "-c", "sleep 999 </dev/null >/dev/null 2>&1 &")
    def cmdline(p):
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                return f.read()
        except OSError:  # gone meanwhile
            return b""

    kids = wait_for(lambda: [p for p in os.listdir("/proc")
                             if p.isdigit() and cmdline(p) == b"sleep\x00999\x00"],
                    what="the exec'd sleep")
    assert all(status_ids(k)[0] == [uid] * 4 for k in kids), kids
    # the root file system (the test's, owned by host root) is container root's, through an
    # idmapped mount; what container root makes in it is host root's on disk
    assert ctl("exec", "u1", "stat", "-c", "%u:%g", "/bin/busybox", "/etc/hosts").out.split() == [
        "0:0", "0:0"]
    ctl("exec", "u1", "touch", "/tmp/made")
    st = os.stat(f"{ROOTFS}/tmp/made")
    assert (st.st_uid, st.st_gid) == (0, 0)
    # its /etc/hosts is its own to change, as without a user namespace
    ctl("exec", "u1", "sh", "-c", "echo '10.9.9.9 extra' >> /etc/hosts")
    # a second container gets a range of its own; the first keeps its range across a restart
    ctl("run", "-d", "--name", "u2", "--rootfs", ROOTFS, "--userns=auto", "sleep", "1000")
    uid2, gid2 = id_map("u2")
    assert abs(uid2 - uid) >= 65536 and abs(gid2 - gid) >= 65536
    ctl("restart", "-t", "0", "u1")
    assert id_map("u1") == (uid, gid)
    assert status_ids(inspect_json("u1")["State"]["Pid"])[0] == [uid] * 4
    ctl("rm", "-f", "u1", "u2")


def test_userns_auto_uses_a_rootfs_chowned_to_its_range_as_it_is():
    """For a file system that cannot be idmapped: the root filesystem chowned to the range by
    hand is not idmapped (that would make its files nobody's); its files are still root's."""
    userns_rootfs()
    cid = ctl("create", "--rootfs", ROOTFS, "--userns=auto", "sh", "-c",
              "stat -c %u:%g /bin/busybox; touch /tmp/made").out.strip()
    uid, gid = id_map(cid)
    for d, dirs, files in os.walk(ROOTFS):
        for n in [d] + [os.path.join(d, f) for f in dirs + files]:
            os.chown(n, uid, gid, follow_symlinks=False)
    ctl("start", cid)
    assert ctl("wait", cid).out.strip() == "0"
    assert ctl("logs", cid).out.split() == ["0:0"]
    st = os.stat(f"{ROOTFS}/tmp/made")
    assert (st.st_uid, st.st_gid) == (uid, gid)
    ctl("rm", cid)


def test_userns_auto_stops_what_container_root_can_do_without_it():
    userns_rootfs()
    # the control: without a user namespace, container root given SYS_ADMIN writes the
    # host's kernel.core_pattern
    plain = rootfs_sh(SYSCTL_ATTACK, "--cap-add", "SYS_ADMIN").out.split()
    assert plain == ["WROTE", "MADE", "0"], plain
    # with one, the same root with the same capabilities cannot; nor can it make a device
    r = rootfs_sh(SYSCTL_ATTACK, "--cap-add", "SYS_ADMIN", "--userns=auto").out.split()
    assert r == ["REFUSED", "NO-MKNOD", "0"], r
    # and the confinement without it still holds: /proc and /sys, /dev
    out = rootfs_sh(PROC_ATTACK, "--userns=auto").out
    lines = out.splitlines()
    assert lines[-1].split() == ["0", "65535"], out  # ping for its own groups
    check_proc_attack("\n".join(lines[:-1] + ["0 2147483647"]))
    r = rootfs_sh("ls -A /dev | sort | tr '\\n' ' '; echo x > /dev/null && "
                  "head -c 4 /dev/urandom | wc -c", "--userns=auto")
    assert r.out.split() == sorted(["full", "null", "random", "tty", "urandom", "zero", "pts",
                                    "shm", "mqueue", "fd", "stdin", "stdout", "stderr",
                                    "ptmx"]) + ["4"], r.out
    # seccomp and capabilities as without it
    r = rootfs_sh("grep -E '^(Seccomp|CapEff):' /proc/self/status", "--userns=auto")
    plain = rootfs_sh("grep -E '^(Seccomp|CapEff):' /proc/self/status")
    assert r.out == plain.out and "Seccomp:\t2" in r.out, (r.out, plain.out)


def test_userns_auto_networking_ports_and_links():
    userns_rootfs()
    ctl("run", "-d", "--name", "web", "--rootfs", ROOTFS, "--userns=auto", "-p", "8080:80",
        "httpd", "-f", "-p", "80", "-h", "/www")
    ip = inspect_json("web")["NetworkSettings"]["IPAddress"]

    def get(host, port):
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/", timeout=2) as resp:
                return resp.read().decode()
        except OSError:
            return None

    # port 80 in its own network namespace (NET_BIND_SERVICE there), published and direct
    assert wait_for(lambda: get(ip, 80), what="the web server") == "from the userns\n"
    assert get("127.0.0.1", 8080) == "from the userns\n"
    # a linked container (in a user namespace too) reaches it by its alias
    r = ctl("run", "--rm", "--rootfs", ROOTFS, "--userns=auto", "--link", "web:db",
            "sh", "-c", "wget -q -O - http://db/ ; echo $DB_PORT_80_TCP_ADDR")
    assert r.out.splitlines() == ["from the userns", ip], r
    ctl("rm", "-f", "web")


def test_userns_bad_input_is_refused_and_changes_nothing():
    userns_rootfs()
    before = ctl("ps", "-a", "-q").out
    r = ctl("run", "--rm", "--rootfs", ROOTFS, "--userns=bogus", "true", check=False)
    assert r.rc == 125 and 'invalid user namespace mode "bogus"' in r.err, r
    r = ctl("create", "--userns=auto", "true", check=False)
    assert r.rc == 125 and "needs a root file system (--rootfs)" in r.err, r
    assert ctl("ps", "-a", "-q").out == before
    # --userns=host is the default: container root is host root
    r = rootfs_sh("cat /proc/self/uid_map", "--userns=host")
    assert r.out.split() == ["0", "0", "4294967295"], r
    assert inspect_json(ctl("create", "--rootfs", ROOTFS, "true").out.strip())["HostConfig"][
        "UsernsMode"] == ""
