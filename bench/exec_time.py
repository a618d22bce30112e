"""Median time of `ctrlink exec NAME true` (15 rounds, 100 ms apart) on a container this starts;
run inside a private network and mount namespace: BUILD_DIR as the argument."""
import subprocess, time, statistics, sys, os
B = sys.argv[1]; ctl = [f"{B}/examples/ctrlink/ctrlink"]
subprocess.run(ctl + ["run", "-d", "--name", "ee", "sleep", "100"], check=True, capture_output=True)
ts = []
for i in range(15):
    time.sleep(0.1)
    t = time.monotonic(); subprocess.run(ctl + ["exec", "ee", "true"], check=True, capture_output=True); ts.append(time.monotonic() - t)
print(B, f"exec true {statistics.median(ts)*1000:.1f} ms")
