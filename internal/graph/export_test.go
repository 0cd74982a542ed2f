package graph

import "time"

// SetBlockedWait shortens BlockedWait for a test; the returned function
// restores it.
func SetBlockedWait(d time.Duration) func() {
	old := blockedWait
	blockedWait = d
	return func() { blockedWait = old }
}
