# Answers init, then never answers a pick.
import sys, time
sys.stdin.readline()
print('{"ok": true}', flush=True)
sys.stdin.readline()
time.sleep(3600)
