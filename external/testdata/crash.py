# Answers init, then dies at the first pick.
import sys
sys.stdin.readline()
print('{"ok": true}', flush=True)
sys.stdin.readline()
sys.stderr.write("boom: the policy crashed\n")
sys.exit(3)
