//go:build race

package e2e

// raceEnabled makes TestMain build the server with -race as well.
const raceEnabled = true
