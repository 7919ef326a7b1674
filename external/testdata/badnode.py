# Answers init, then names a node that does not exist.
import sys
sys.stdin.readline()
print('{"ok": true}', flush=True)
for line in sys.stdin:
    print('{"node": 99}', flush=True)
