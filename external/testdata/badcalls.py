# A migration policy whose init asks for a call that does not exist.
import sys
sys.stdin.readline()
print('{"ok": true, "calls": ["arrived", "stolen"]}', flush=True)
for line in sys.stdin:
    print('{}', flush=True)
