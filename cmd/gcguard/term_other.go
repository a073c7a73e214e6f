//go:build !linux && !darwin

package main

import "os"

// termCols is unknown here: the caller falls back to 100 columns.
func termCols(*os.File) int { return 0 }
