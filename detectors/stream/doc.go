// Package stream holds the building blocks of live detectors: windows of
// records with bounded memory. It is a leaf within detectors: it imports
// only the standard library and internal/obs, is pure (every method takes
// the current time as an argument) and starts no goroutines.
package stream
