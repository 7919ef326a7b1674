# Refuses init.
import sys
sys.stdin.readline()
print('{"error": "needs at least 1000 nodes"}', flush=True)
sys.stdin.readline()
