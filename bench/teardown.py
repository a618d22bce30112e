"""bench/teardown.sh runs this inside a private network and mount namespace."""
import subprocess, time, statistics, sys, os
B = sys.argv[1]; backend = sys.argv[2]; n = int(sys.argv[3]) if len(sys.argv) > 3 else 20
ctl = [f"{B}/examples/ctrlink/ctrlink"]
env = dict(os.environ, CTRLINK_NAT_BACKEND=backend)
pause = float(os.environ.get("PAUSE", "0"))  # seconds between a rm -f and the next run
rm, run = [], []
for i in range(n):
    time.sleep(pause)
    t = time.monotonic(); subprocess.run(ctl + ["run", "-d", "--name", "cc", "-p", "18080:80", "sleep", "100"], check=True, env=env, capture_output=True); run.append(time.monotonic() - t)
    t = time.monotonic(); subprocess.run(ctl + ["rm", "-f", "cc"], check=True, env=env, capture_output=True); rm.append(time.monotonic() - t)
t = time.monotonic(); 
for i in range(n): subprocess.run(ctl + ["version"], check=True, env=env, capture_output=True)
v = (time.monotonic() - t) / n
print(f"{backend}: run -d -p {statistics.median(run)*1000:.1f} ms, rm -f {statistics.median(rm)*1000:.1f} ms, version {v*1000:.1f} ms")
