package store

import "time"

// The tests of this package see checkpoints every 64 KB: many, on logs
// small enough to import quickly under the race detector.
func init() { checkpointEvery = 64 << 10 }

// CheckpointEvery is the distance between checkpoints, in tests.
func CheckpointEvery() int { return int(checkpointEvery) }

// SetClickHouseWait sets the longest a ClickHouse query may take, until
// the test ends.
func SetClickHouseWait(t interface{ Cleanup(func()) }, d time.Duration) {
	old := chBatchWait
	chBatchWait = d
	t.Cleanup(func() { chBatchWait = old })
}

// SetClickHouseBatchRows sets the most records a batch of ClickHouse
// queries holds, until the test ends, and returns the most one held.
func SetClickHouseBatchRows(t interface{ Cleanup(func()) }, n int) func() int {
	old := chBatchRows
	chBatchRows = n
	chHeldMost.Store(0)
	t.Cleanup(func() { chBatchRows = old })
	return func() int { return int(chHeldMost.Load()) }
}
