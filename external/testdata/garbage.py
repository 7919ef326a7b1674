# Answers init, then answers a pick with text that is not JSON.
import sys
sys.stdin.readline()
print('{"ok": true}', flush=True)
sys.stdin.readline()
print("node three, please", flush=True)
sys.stdin.readline()
