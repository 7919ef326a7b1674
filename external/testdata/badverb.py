# A migration policy that answers init, then transfers every arrival to a
# node that does not exist.
import sys
sys.stdin.readline()
print('{"ok": true, "calls": ["arrived"]}', flush=True)
for line in sys.stdin:
    print('{"verb": "transfer", "node": 99}', flush=True)
