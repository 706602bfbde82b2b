package query

// SetHoldRecords sets how many records of a source waiting for its turn
// are held in memory, until the test ends, and returns how many files
// records were held in since.
func SetHoldRecords(t interface{ Cleanup(func()) }, n int) func() int64 {
	old := holdRecords
	holdRecords = n
	start := heldFiles.Load()
	t.Cleanup(func() { holdRecords = old })
	return func() int64 { return heldFiles.Load() - start }
}
