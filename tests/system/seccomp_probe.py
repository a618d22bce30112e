"""A program for a container: system calls the default seccomp filter refuses, made as
container root would make them (tests/system/test_security.py, bindings/python/tests/
test_seccomp.py)."""

# System calls as container root would make them, with raw numbers (x86-64, arm64); each
# prints "<name> <errno>" (0: it worked).  Harmless where they work: a new session keyring,
# a user namespace in a child that exits at once, a persona set back.
SYSCALLS = r'''
import ctypes, os, platform, socket
NR = {"x86_64": dict(keyctl=250, add_key=248, clone=56, clone3=435, personality=135,
                     unshare=272, bpf=321),
      "aarch64": dict(keyctl=219, add_key=217, clone=220, clone3=435, personality=92,
                      unshare=97, bpf=280)}[platform.machine()]
libc = ctypes.CDLL(None, use_errno=True)
sc = libc.syscall
sc.restype = ctypes.c_long
def call(name, *args):
    ctypes.set_errno(0)
    r = sc(ctypes.c_long(NR[name]), *[ctypes.c_long(a) for a in args])
    return r, (ctypes.get_errno() if r == -1 else 0)
r = call("keyctl", 1, 0)                              # KEYCTL_JOIN_SESSION_KEYRING
print("keyctl", r[1])
r = call("add_key", 0, 0, 0, 0, 0)                    # refused before the arguments are read
print("add_key", "refused" if r[1] == 1 else "reached")
r = call("clone", 0x10000000 | 17, 0, 0, 0, 0)        # CLONE_NEWUSER | SIGCHLD
if r[0] == 0:
    os._exit(0)
if r[0] > 0:
    os.waitpid(r[0], 0)
print("clone-newuser", r[1])
r = call("clone3", 0, 0)
print("clone3", r[1])
r = call("unshare", 0x10000000)
print("unshare-newuser", r[1])
r = call("personality", 0xffffffff)
print("personality-query", r[1])
r = call("personality", 0x0040000)                    # ADDR_NO_RANDOMIZE
print("personality-norandom", r[1])
call("personality", 0)
r = call("bpf", 0, 0, 0)
print("bpf", "refused" if r[1] == 1 else "reached")
try:
    socket.socket(40, socket.SOCK_STREAM)              # AF_VSOCK
    print("vsock 0")
except OSError as e:
    print("vsock", e.errno)
print("fork", 0 if os.waitpid(os.fork() or os._exit(0), 0) else 1)
'''
