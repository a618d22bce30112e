"""A process moves itself into a new cgroup2 cgroup and back, 50 ms apart: the cost of one move
(a write to cgroup.procs; run as root, on a host with cgroup2)."""
import os, time, statistics
base = "/sys/fs/cgroup/unified" if os.path.exists("/sys/fs/cgroup/unified/cgroup.procs") else "/sys/fs/cgroup"
d = base + "/cgmove-test"
os.makedirs(d, exist_ok=True)
orig = [l for l in open("/proc/self/cgroup") if l.startswith("0::")][0].split("::")[1].strip()
into, out = [], []
for i in range(15):
    time.sleep(0.05)
    t = time.monotonic(); open(d + "/cgroup.procs", "w").write("0"); into.append(time.monotonic() - t)
    time.sleep(0.05)
    t = time.monotonic(); open(base + orig + "/cgroup.procs", "w").write("0"); out.append(time.monotonic() - t)
os.rmdir(d)
print(base, f"move in {statistics.median(into)*1000:.2f} ms, move back {statistics.median(out)*1000:.2f} ms")
